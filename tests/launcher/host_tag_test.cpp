#include "launcher/host_tag.hpp"

#include <string>
#include <vector>

#include <doctest/doctest.h>

#include "agent/line_assembler.hpp"

using namespace dlaunch::launcher;

TEST_CASE("host tag: a worker line gets host:rank, anything else the host") {
  auto tagged = tag_remote_line("node-b", "[5]: epoch 1 loss 0.3\n");
  CHECK(tagged.prefix == "[node-b:5]: ");
  CHECK(tagged.body == "epoch 1 loss 0.3\n");
  tagged = tag_remote_line("node-b", "[12]: \n");
  CHECK(tagged.prefix == "[node-b:12]: ");
  CHECK(tagged.body == "\n");
  for (const char* line : {"[dlaunch 03:01:02.345 info] run x\n", "[]: x\n", "[5] x\n", "[5]:x\n",
                           "  [5]: indented\n", "===\n", "", "[5"}) {
    CAPTURE(line);
    tagged = tag_remote_line("10.0.0.3", line);
    CHECK(tagged.prefix == "[10.0.0.3]: ");
    CHECK(tagged.body == line);
  }
}

TEST_CASE("line splitter: whole lines whatever the chunks, the rest at the end") {
  dlaunch::agent::LineAssembler splitter;
  std::vector<std::string> lines;
  auto collect = [&](std::string_view line) { lines.emplace_back(line); };
  splitter.consume_lines("ab", collect);
  splitter.consume_lines("c\nd", collect);
  splitter.consume_lines("\n\nef\ngh", collect);
  CHECK(lines == std::vector<std::string>{"abc\n", "d\n", "\n", "ef\n"});
  splitter.finish(collect);
  CHECK(lines.back() == "gh");
  splitter.finish(collect);
  CHECK(lines.size() == 5);
}

TEST_CASE("line splitter: a line without end is handed on in bounded pieces") {
  dlaunch::agent::LineAssembler splitter;
  std::size_t pieces = 0, bytes = 0;
  const std::string chunk(1024 * 1024, 'x');
  for (int i = 0; i < 20; ++i) {
    splitter.consume_lines(chunk, [&](std::string_view line) {
      ++pieces;
      bytes += line.size();
      CHECK(line.size() <= dlaunch::agent::LineAssembler::kMaxLine);
    });
  }
  CHECK(pieces == 2);
  CHECK(bytes == 2 * dlaunch::agent::LineAssembler::kMaxLine);
}
