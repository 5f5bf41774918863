#include "launcher/command_line.hpp"

#include <cctype>

#include "launcher/option_table.hpp"
#include "launcher/option_values.hpp"

namespace dlaunch::launcher {

namespace {

// "-1", "-2.5", ".5" after the dash: argparse lets these through as values and positionals.
bool is_negative_number(const std::string& word) {
  if (word.size() < 2 || word[0] != '-') return false;
  bool digit = false;
  bool dot = false;
  for (std::size_t i = 1; i < word.size(); ++i) {
    if (std::isdigit(static_cast<unsigned char>(word[i]))) {
      digit = true;
    } else if (word[i] == '.' && !dot) {
      dot = true;
    } else {
      return false;
    }
  }
  return digit;
}

bool is_option_word(const std::string& word) {
  return word.size() > 1 && word[0] == '-' && !is_negative_number(word);
}

// `shown` is what the user typed; `name` the option it was meant to be, for the suggestion.
std::string unknown_option_message(const std::string& shown, const std::string& name) {
  std::string message = "unknown option " + quote(shown);
  if (name == "--local_rank" || name == "--local-rank") {
    return message +
           " (dlaunch gives each worker --local_rank=N itself; put the program's own "
           "options after the program)";
  }
  if (const auto suggestion = closest_option(name); !suggestion.empty()) {
    message += " (did you mean " + suggestion + "?)";
  }
  return message;
}

class Scanner {
 public:
  explicit Scanner(const std::vector<std::string>& argv) : argv_(argv) {}

  CommandLine run() {
    while (next_ < argv_.size() && !stopped_) {
      const std::string& word = argv_[next_++];
      if (word == "--") {
        take_program();
        break;
      }
      if (!is_option_word(word)) {
        --next_;
        take_program();
        break;
      }
      if (word.starts_with("--")) {
        long_option(word);
      } else {
        short_options(word);
      }
    }
    return std::move(result_);
  }

 private:
  void take_program() {
    if (next_ >= argv_.size()) return;
    result_.program = argv_[next_++];
    result_.program_args.assign(argv_.begin() + static_cast<std::ptrdiff_t>(next_), argv_.end());
    next_ = argv_.size();
  }

  void fail(std::string message) {
    if (!result_.error) result_.error = std::move(message);
  }

  // The value after an option word; a missing one is an error that ends the scan, since
  // where the program starts is unknown from here on.
  std::optional<std::string> following_value(const std::string& spelling) {
    if (next_ < argv_.size() && !is_option_word(argv_[next_]) && argv_[next_] != "--") {
      return argv_[next_++];
    }
    fail(spelling + " needs a value");
    stopped_ = true;
    return std::nullopt;
  }

  void record(const OptionSpec& spec, const std::string& spelling, std::string text) {
    if (!spec.supported) {
      fail(spelling + " is a torchrun option that dlaunch does not support; see dlaunch --help");
      return;
    }
    if (spec.dest == "help") result_.help = true;
    if (spec.dest == "version") result_.version = true;
    result_.given[std::string(spec.dest)].push_back({std::move(text), spelling});
  }

  void long_option(const std::string& word) {
    const auto equals = word.find('=');
    const std::string name = word.substr(0, equals);
    // A prefix of --local_ranks_filter, but surely meant as the worker's own flag.
    if (name == "--local_rank" || name == "--local-rank") {
      fail(unknown_option_message(word, name));
      return;
    }
    const auto match = match_long_option(name);
    if (!match.spec) {
      if (match.candidates.empty()) {
        fail(unknown_option_message(word, name));
      } else {
        std::string list;
        for (const auto& candidate : match.candidates)
          list += (list.empty() ? "" : ", ") + candidate;
        fail("ambiguous option " + quote(name) + " could be " + list);
      }
      return;
    }
    const auto& spec = *match.spec;
    if (!spec.takes_value) {
      if (equals != std::string::npos) {
        fail(match.spelling + " takes no value (got " + quote(word) + ")");
      } else {
        record(spec, match.spelling, {});
      }
      return;
    }
    if (equals != std::string::npos) {
      record(spec, match.spelling, word.substr(equals + 1));
    } else if (auto value = following_value(match.spelling)) {
      record(spec, match.spelling, std::move(*value));
    }
  }

  // "-m", "-r 3", "-r3", "-r=3", "-mt3": flags may be grouped; a value option ends the group.
  void short_options(const std::string& word) {
    for (std::size_t i = 1; i < word.size(); ++i) {
      const OptionSpec* spec = find_short_option(word[i]);
      const std::string spelling = std::string("-") + word[i];
      if (!spec) {
        // "-nproc_per_node" is most likely a long option typed with one dash.
        fail(i == 1 ? unknown_option_message(word, "-" + word.substr(0, word.find('=')))
                    : unknown_option_message(spelling, spelling) + " (in " + quote(word) + ")");
        return;
      }
      if (!spec->takes_value) {
        if (i + 1 < word.size() && word[i + 1] == '=') {
          fail(spelling + " takes no value (got " + quote(word) + ")");
          return;
        }
        record(*spec, spelling, {});
        continue;
      }
      std::string rest = word.substr(i + 1);
      if (rest.starts_with("=")) rest.erase(0, 1);
      if (!rest.empty() || word.find('=') != std::string::npos) {
        record(*spec, spelling, std::move(rest));
      } else if (auto value = following_value(spelling)) {
        record(*spec, spelling, std::move(*value));
      }
      return;
    }
  }

  const std::vector<std::string>& argv_;
  std::size_t next_ = 0;
  bool stopped_ = false;
  CommandLine result_;
};

}  // namespace

CommandLine scan_command_line(const std::vector<std::string>& argv) {
  return Scanner(argv).run();
}

}  // namespace dlaunch::launcher
