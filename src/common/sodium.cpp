#include "common/sodium.h"

#include <sodium.h>

#include <cstdlib>

namespace exile {

void ensure_sodium() {
  static const bool initialised = [] { return sodium_init() >= 0; }();
  if (!initialised) std::abort();  // no usable randomness or CPU features: nothing is safe
}

}  // namespace exile
