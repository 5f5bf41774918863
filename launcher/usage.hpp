#pragma once
// The texts of `dlaunch --help` and `dlaunch --version`. The flag table comes from
// option_table(), so every option shows up with both spellings and its PET_ variable.

#include <string>

namespace dlaunch::launcher {

// The full --help text, options grouped, ending in a newline.
std::string usage_text();

// "dlaunch <version>", ending in a newline.
std::string version_text();

}  // namespace dlaunch::launcher
