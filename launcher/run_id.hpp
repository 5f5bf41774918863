#pragma once
// A fresh job id (TORCHELASTIC_RUN_ID) when the user gave none: 12 random hex digits.

#include <random>
#include <string>

namespace dlaunch::launcher {

inline std::string random_run_id() {
  std::random_device rd;
  std::uniform_int_distribution<unsigned> hex(0, 15);
  std::string id;
  for (int i = 0; i < 12; ++i) id.push_back("0123456789abcdef"[hex(rd)]);
  return id;
}

}  // namespace dlaunch::launcher
