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

// The save points and errno checks of every syscall test (test_util.h and
// msg_util.h include it).
#ifndef MQSENTRY_TEST_SYSCALLS_LINUX_CHECK_UTIL_H_
#define MQSENTRY_TEST_SYSCALLS_LINUX_CHECK_UTIL_H_

#include <errno.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "gtest/gtest.h"

// Expects expr to fail, returning -1 with errno err. errno is cleared first
// and read right after expr.
#define EXPECT_ERRNO(expr, err)                                            \
  do {                                                                     \
    errno = 0;                                                             \
    long _r = static_cast<long>(expr);                                     \
    int _e = errno;                                                        \
    EXPECT_EQ(_r, -1) << #expr;                                            \
    EXPECT_EQ(_e, (err)) << #expr << ": got errno " << _e << " ("          \
                         << strerror(_e) << "), want " << strerror(err);   \
  } while (0)

namespace mqtest {

// MaybeSave marks a point where the whole sandbox may be checkpointed and
// restored. Under a runsc started with --TESTONLY-autosave-image-path (the
// runner's NAME-save modes) the init_module(2) call makes the sentry save
// the kernel right after the syscall and stop; the runner then restores the
// sandbox from that image and the test goes on from here, in a new sandbox
// process. Everywhere else (natively, plain runsc) init_module with a null
// image fails harmlessly (ENOSYS, EPERM or EFAULT) and nothing happens.
// errno is preserved so that MaybeSave can sit between a call and its check.
inline void MaybeSave() {
  int saved_errno = errno;
  (void)syscall(SYS_init_module, nullptr, 0, nullptr);
  errno = saved_errno;
}

}  // namespace mqtest

#endif  // MQSENTRY_TEST_SYSCALLS_LINUX_CHECK_UTIL_H_
