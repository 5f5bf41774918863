#pragma once
// LineAssembler: cuts a byte stream that arrives in arbitrary pieces into runs of whole
// lines. Complete lines are handed on in the order written, as few and as large runs as
// the pieces allow; the bytes after the last newline wait for the rest of their line, up
// to kMaxLine bytes (a longer line is handed on in kMaxLine pieces). finish() hands on a
// final line without a newline. Used by OutputPump (pipes), LogFollower (files) and the
// ssh fan-out (remote output, line by line).

#include <cstring>
#include <string>
#include <string_view>

namespace dlaunch::agent {

class LineAssembler {
 public:
  static constexpr std::size_t kMaxLine = 8 * 1024 * 1024;

  // Calls deliver(std::string_view lines) for each run of complete lines in `data`.
  template <class Deliver>
  void consume(std::string_view data, Deliver&& deliver) {
    if (!partial_.empty()) {
      const auto* nl = static_cast<const char*>(std::memchr(data.data(), '\n', data.size()));
      if (!nl) {
        partial_.append(data);
        if (partial_.size() >= kMaxLine) {
          deliver(std::string_view(partial_));
          partial_.clear();
        }
        return;
      }
      const std::size_t head = static_cast<std::size_t>(nl - data.data()) + 1;
      partial_.append(data.substr(0, head));
      deliver(std::string_view(partial_));
      partial_.clear();
      data.remove_prefix(head);
    }
    const auto* last_nl = static_cast<const char*>(::memrchr(data.data(), '\n', data.size()));
    if (last_nl) {
      const std::size_t lines = static_cast<std::size_t>(last_nl - data.data()) + 1;
      deliver(data.substr(0, lines));
      data.remove_prefix(lines);
    }
    partial_.assign(data);
  }

  // Like consume, but one call of on_line(std::string_view line) per line, '\n' included.
  template <class OnLine>
  void consume_lines(std::string_view data, OnLine&& on_line) {
    consume(data, [&](std::string_view run) {
      while (!run.empty()) {
        const auto* nl = static_cast<const char*>(std::memchr(run.data(), '\n', run.size()));
        const std::size_t len = nl ? static_cast<std::size_t>(nl - run.data()) + 1 : run.size();
        on_line(run.substr(0, len));
        run.remove_prefix(len);
      }
    });
  }

  // Hands on the final partial line, if any.
  template <class Deliver>
  void finish(Deliver&& deliver) {
    if (partial_.empty()) return;
    deliver(std::string_view(partial_));
    partial_.clear();
  }

 private:
  std::string partial_;  // bytes after the last newline seen
};

}  // namespace dlaunch::agent
