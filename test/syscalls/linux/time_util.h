// Copyright 2026 The mqsentry Authors.
//
// Licensed under the Apache License, Version 2.0 (the "License");
// you may not use this file except in compliance with the License.
// You may obtain a copy of the License at
//
//     http://www.apache.org/licenses/LICENSE-2.0
//
// Unless required by applicable law or agreed to in writing, software
// distributed under the License is distributed on an "AS IS" BASIS,
// WITHOUT WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
// See the License for the specific language governing permissions and
// limitations under the License.

// Clocks, sleeps and polling for the syscall tests.
#ifndef MQSENTRY_TEST_SYSCALLS_LINUX_TIME_UTIL_H_
#define MQSENTRY_TEST_SYSCALLS_LINUX_TIME_UTIL_H_

#include <errno.h>
#include <time.h>

#include <functional>

namespace mqtest {

inline struct timespec RealtimeIn(long ms) {
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  ts.tv_sec += ms / 1000;
  ts.tv_nsec += (ms % 1000) * 1000000L;
  while (ts.tv_nsec >= 1000000000L) {
    ts.tv_sec++;
    ts.tv_nsec -= 1000000000L;
  }
  while (ts.tv_nsec < 0) {
    ts.tv_sec--;
    ts.tv_nsec += 1000000000L;
  }
  return ts;
}

// Whether a is at or after b.
inline bool TimespecAtOrAfter(const struct timespec& a, const struct timespec& b) {
  return a.tv_sec > b.tv_sec || (a.tv_sec == b.tv_sec && a.tv_nsec >= b.tv_nsec);
}

inline long long MonotonicNowNs() {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

inline void SleepMs(long ms) {
  struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
  while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {
  }
}

// Polls pred every ms for up to timeout_ms; returns its last value.
inline bool WaitFor(const std::function<bool()>& pred, long timeout_ms = 5000) {
  long long deadline = MonotonicNowNs() + timeout_ms * 1000000LL;
  while (!pred()) {
    if (MonotonicNowNs() > deadline) return pred();
    SleepMs(1);
  }
  return true;
}

}  // namespace mqtest

#endif  // MQSENTRY_TEST_SYSCALLS_LINUX_TIME_UTIL_H_
