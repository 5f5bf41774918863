#include "launcher/usage.hpp"

#include <sstream>

#include <doctest/doctest.h>

#include "launcher/option_table.hpp"

using namespace dlaunch::launcher;

TEST_CASE("usage: every supported option with both spellings and its PET_ variable") {
  const auto text = usage_text();
  for (const auto& spec : option_table()) {
    CAPTURE(spec.dest);
    for (const auto& spelling : spec.spellings()) {
      CHECK((text.find(spelling) != std::string::npos) == (spec.supported && !spec.hidden));
    }
    if (spec.supported && !spec.env_name().empty()) {
      CHECK(text.find("[" + spec.env_name() + "]") != std::string::npos);
    }
  }
  for (const char* shown :
       {"-m, --module", "-r, --redirects SPEC", "-t, --tee SPEC", "-h, --help"}) {
    CHECK(text.find(shown) != std::string::npos);
  }
}

TEST_CASE("usage: documents legacy mode, the environment and the exit codes") {
  const auto text = usage_text();
  CHECK(text.find("--local_rank=N") != std::string::npos);
  CHECK(text.find("--rdzv_backend c10d and --no_python are torchrun usage and imply --use_env") !=
        std::string::npos);
  CHECK(text.find("PYTHON_EXEC") != std::string::npos);
  CHECK(text.find("128+N") != std::string::npos);
}

TEST_CASE("usage: fits 100 columns") {
  std::istringstream lines(usage_text());
  std::string line;
  int count = 0;
  while (std::getline(lines, line)) {
    CAPTURE(line);
    CHECK(line.size() <= 100);
    ++count;
  }
  CHECK(count > 40);
}

TEST_CASE("usage: version") {
  CHECK(version_text().starts_with("dlaunch 0."));
}
