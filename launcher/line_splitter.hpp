#pragma once
// LineSplitter: turns a byte stream read in arbitrary chunks back into whole lines. A line is
// handed on with its '\n'; what is left at the end (a last line without one) comes out of
// finish(). A line that grows past kMaxLine is handed on in kMaxLine pieces rather than held
// without bound. Header-only; one per stream; not thread-safe.

#include <cstring>
#include <string>
#include <string_view>

namespace dlaunch::launcher {

class LineSplitter {
 public:
  static constexpr std::size_t kMaxLine = 8 * 1024 * 1024;

  // Calls on_line(std::string_view) for each line `data` completes.
  template <class OnLine>
  void feed(std::string_view data, OnLine&& on_line) {
    while (!data.empty()) {
      const auto* nl = static_cast<const char*>(std::memchr(data.data(), '\n', data.size()));
      if (!nl) {
        partial_.append(data);
        if (partial_.size() >= kMaxLine) {
          on_line(std::string_view(partial_));
          partial_.clear();
        }
        return;
      }
      const auto len = static_cast<std::size_t>(nl - data.data()) + 1;
      if (partial_.empty()) {
        on_line(data.substr(0, len));
      } else {
        partial_.append(data.substr(0, len));
        on_line(std::string_view(partial_));
        partial_.clear();
      }
      data.remove_prefix(len);
    }
  }

  // Hands on the unfinished last line, if any.
  template <class OnLine>
  void finish(OnLine&& on_line) {
    if (!partial_.empty()) on_line(std::string_view(partial_));
    partial_.clear();
  }

 private:
  std::string partial_;
};

}  // namespace dlaunch::launcher
