#pragma once
// Words and POSIX shell text, both ways. An ssh fan-out hands the remote host ONE string that
// the remote user's login shell parses (sh, bash, dash, zsh: anything POSIX), so every word we
// send must come out the other side byte for byte: shell_quote() does that. --ssh_cmd is one
// string a user typed with shell quoting in mind ("ssh -i '/keys/my key'"): split_shell_words()
// turns it back into argv without running a shell (no expansion of $, `, * or ~).

#include <string>
#include <string_view>
#include <vector>

namespace dlaunch::launcher {

// `word` as one POSIX shell word: unchanged when it only holds characters no shell treats
// specially (letters, digits, and @%+=:,./_-), else in single quotes with each ' as '\''.
// The empty word is ''.
std::string shell_quote(std::string_view word);

// shell_quote() of each word, joined by single spaces.
std::string shell_join(const std::vector<std::string>& words);

// Splits like a POSIX shell without expansions: blanks separate words; '...' is literal;
// "..." is literal except \" \\ \$ \` and \<newline>; a backslash outside quotes escapes the
// next character. Throws std::invalid_argument for an unterminated quote or a trailing '\'.
std::vector<std::string> split_shell_words(std::string_view text);

}  // namespace dlaunch::launcher
