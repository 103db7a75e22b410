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

// kcmp(2) in the syscall tests: the raw call, its types, and a check that
// its answers form one strict total order.
#ifndef MQSENTRY_TEST_SYSCALLS_LINUX_KCMP_UTIL_H_
#define MQSENTRY_TEST_SYSCALLS_LINUX_KCMP_UTIL_H_

#include <errno.h>
#include <stdint.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <unistd.h>

#include <algorithm>
#include <functional>
#include <vector>

#include "gtest/gtest.h"

namespace mqtest {

// include/uapi/linux/kcmp.h
enum {
  KCMP_FILE = 0,
  KCMP_VM = 1,
  KCMP_FILES = 2,
  KCMP_FS = 3,
  KCMP_SIGHAND = 4,
  KCMP_IO = 5,
  KCMP_SYSVSEM = 6,
  KCMP_EPOLL_TFD = 7,
};

struct kcmp_epoll_slot {
  uint32_t efd;
  uint32_t tfd;
  uint32_t toff;
};
static_assert(sizeof(kcmp_epoll_slot) == 12, "uapi layout");

inline long Kcmp(pid_t pid1, pid_t pid2, int type, unsigned long idx1,
                 unsigned long idx2) {
  return syscall(SYS_kcmp, pid1, pid2, type, idx1, idx2);
}

// KCMP_EPOLL_TFD: fd of pid1 against the target file slot of an epoll
// instance of pid2.
inline long KcmpEpoll(pid_t pid1, pid_t pid2, int fd, const void* slot) {
  return syscall(SYS_kcmp, pid1, pid2, KCMP_EPOLL_TFD, (unsigned long)fd,
                 (unsigned long)slot);
}

// Whether the kernel has kcmp (CONFIG_KCMP).
inline bool HaveKcmp() {
  return !(Kcmp(getpid(), getpid(), KCMP_VM, 0, 0) < 0 && errno == ENOSYS);
}

// Skips the test where the kernel has no kcmp (CONFIG_KCMP=n).
#define SKIP_IF_NO_KCMP()                                              \
  do {                                                                 \
    if (!::mqtest::HaveKcmp()) GTEST_SKIP() << "kernel without CONFIG_KCMP"; \
  } while (0)

// Asks cmp(i, j) for every pair of n objects and checks that the answers
// form one strict total order: 0 exactly when same(i, j), 1 and 2 swapped
// when the arguments are, and transitive. ranks[i] (for the first
// n_distinct objects, which must be pairwise different) is the object's
// position in that order. Failures are reported with gtest.
inline void CheckTotalOrder(int n, int n_distinct, const std::function<long(int, int)>& cmp,
                            const std::function<bool(int, int)>& same,
                            std::vector<int>* ranks) {
  std::vector<int> wins(n_distinct, 0);
  int bad = 0;
  for (int i = 0; i < n; i++) {
    long self = cmp(i, i);
    if (self != 0 && bad++ < 5) ADD_FAILURE() << "cmp(" << i << ", itself) = " << self;
    for (int j = i + 1; j < n; j++) {
      long r = cmp(i, j), back = cmp(j, i);
      bool ok = (r == 0 && back == 0 && same(i, j)) ||
                (r == 1 && back == 2 && !same(i, j)) ||
                (r == 2 && back == 1 && !same(i, j));
      if (!ok) {
        if (bad++ < 5) ADD_FAILURE() << "cmp(" << i << ", " << j << ") = " << r << ", reversed " << back
                                     << ", same object: " << same(i, j) << " (errno " << errno << ")";
        continue;
      }
      if (i < n_distinct && j < n_distinct) {
        if (r == 2) wins[i]++;  // i orders after j
        if (r == 1) wins[j]++;
      }
    }
  }
  // A tournament is transitive exactly when its scores are 0, 1, ..., n-1.
  std::vector<int> sorted = wins;
  std::sort(sorted.begin(), sorted.end());
  for (int k = 0; k < n_distinct; k++) {
    if (sorted[k] != k) {
      ADD_FAILURE() << "not a total order: " << k << "-th lowest score is " << sorted[k];
      break;
    }
  }
  *ranks = wins;
}

}  // namespace mqtest

#endif  // MQSENTRY_TEST_SYSCALLS_LINUX_KCMP_UTIL_H_
