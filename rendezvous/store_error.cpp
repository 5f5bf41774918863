#include "rendezvous/store_error.hpp"

#include <string>

namespace dlaunch::rendezvous {
namespace {

class Category : public std::error_category {
 public:
  const char* name() const noexcept override { return "dlaunch.store"; }
  std::string message(int value) const override {
    switch (static_cast<StoreError>(value)) {
      case StoreError::kTimeout:
        return "timed out";
      case StoreError::kClosed:
        return "store connection closed";
      case StoreError::kRefused:
        return "store refused the agent token";
      case StoreError::kProtocol:
        return "store protocol error";
      case StoreError::kNotANumber:
        return "value is not a decimal integer";
    }
    return "unknown store error";
  }
};

}  // namespace

const std::error_category& store_category() {
  static const Category category;
  return category;
}

std::error_code make_error_code(StoreError error) {
  return {static_cast<int>(error), store_category()};
}

}  // namespace dlaunch::rendezvous
