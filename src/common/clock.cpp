#include "common/clock.h"

namespace exile {

UnixMillis SystemClock::now() const {
  return std::chrono::time_point_cast<std::chrono::milliseconds>(std::chrono::system_clock::now());
}

}  // namespace exile
