#include "launcher/shell_words.hpp"

#include <doctest/doctest.h>

#include "tests/support/subprocess.hpp"

using namespace dlaunch::launcher;

namespace {

const std::vector<std::string> kTricky = {
    "plain",        "two words", "it's",       "\"double\"", "",        "$HOME",
    "`uname`",      "$(id)",     "a\\b",       "*",          "~",       "semi;colon",
    "amp&",         "pipe|",     "new\nline",  "tab\there",  "'",       "''",
    "--flag=value", "key=a b",   "!bang",      "#hash",      "{a,b}",   "(paren)",
    "<in>",         "ünïcödé",   "trailing\\", "back`tick",  "%percent"};

}  // namespace

TEST_CASE("shell_quote: plain words stay as they are, everything else is single-quoted") {
  CHECK(shell_quote("train.py") == "train.py");
  CHECK(shell_quote("--nproc_per_node=2") == "--nproc_per_node=2");
  CHECK(shell_quote("/a/b,c:d@e%f+g") == "/a/b,c:d@e%f+g");
  CHECK(shell_quote("") == "''");
  CHECK(shell_quote("a b") == "'a b'");
  CHECK(shell_quote("it's") == "'it'\\''s'");
  CHECK(shell_quote("$HOME") == "'$HOME'");
  CHECK(shell_join({"env", "K=a b", "x"}) == "env 'K=a b' x");
}

TEST_CASE("shell_quote: a real /bin/sh reads every word back byte for byte") {
  const std::string script = "printf '%s\\0' " + shell_join(kTricky);
  const auto result = dlaunch::testing::run({"/bin/sh", "-c", script});
  REQUIRE(result.exit_code == 0);
  std::vector<std::string> words;
  std::size_t start = 0;
  for (std::size_t i = 0; i < result.out.size(); ++i) {
    if (result.out[i] == '\0') {
      words.push_back(result.out.substr(start, i - start));
      start = i + 1;
    }
  }
  CHECK(words == kTricky);
}

TEST_CASE("split_shell_words: blanks, quotes and backslashes as a shell reads them") {
  using V = std::vector<std::string>;
  CHECK(split_shell_words("ssh -o BatchMode=yes -o ConnectTimeout=10") ==
        V{"ssh", "-o", "BatchMode=yes", "-o", "ConnectTimeout=10"});
  CHECK(split_shell_words("  ssh\t-p 2222  ") == V{"ssh", "-p", "2222"});
  CHECK(split_shell_words("ssh -i '/keys/my key'") == V{"ssh", "-i", "/keys/my key"});
  CHECK(split_shell_words("ssh -i \"/keys/my key\"") == V{"ssh", "-i", "/keys/my key"});
  CHECK(split_shell_words("ssh -i /keys/my\\ key") == V{"ssh", "-i", "/keys/my key"});
  CHECK(split_shell_words("a\"b\"'c'd") == V{"abcd"});
  CHECK(split_shell_words("'' x") == V{"", "x"});
  CHECK(split_shell_words("\"a \\\"q\\\" \\$x \\n\"") == V{"a \"q\" $x \\n"});
  CHECK(split_shell_words("'$HOME'") == V{"$HOME"});
  CHECK(split_shell_words("").empty());
  CHECK_THROWS_WITH_AS(split_shell_words("ssh -i 'key"), "unterminated ' quote",
                       std::invalid_argument);
  CHECK_THROWS_WITH_AS(split_shell_words("ssh \"x"), "unterminated \" quote",
                       std::invalid_argument);
  CHECK_THROWS_AS(split_shell_words("ssh \\"), std::invalid_argument);
}

TEST_CASE("split_shell_words undoes shell_join") {
  CHECK(split_shell_words(shell_join(kTricky)) == kTricky);
}
