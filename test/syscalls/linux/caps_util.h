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

// Credentials and capabilities of the syscall tests: reading and dropping
// capabilities, and becoming another user in a forked child.
#ifndef MQSENTRY_TEST_SYSCALLS_LINUX_CAPS_UTIL_H_
#define MQSENTRY_TEST_SYSCALLS_LINUX_CAPS_UTIL_H_

#include <errno.h>
#include <grp.h>
#include <linux/capability.h>
#include <stdint.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <unistd.h>

#include <vector>

#include "gtest/gtest.h"

namespace mqtest {

constexpr uid_t kNobody = 65534;
constexpr gid_t kNogroup = 65534;

inline uint64_t CapBit(int cap) { return 1ull << cap; }

// This thread's effective and permitted capability sets.
inline bool GetCaps(uint64_t* eff, uint64_t* perm) {
  struct __user_cap_header_struct hdr = {_LINUX_CAPABILITY_VERSION_3, 0};
  struct __user_cap_data_struct data[2] = {};
  if (syscall(SYS_capget, &hdr, data) != 0) return false;
  *eff = data[0].effective | (static_cast<uint64_t>(data[1].effective) << 32);
  *perm = data[0].permitted | (static_cast<uint64_t>(data[1].permitted) << 32);
  return true;
}

// Sets this thread's effective and permitted sets; the inheritable set
// becomes empty.
inline bool SetCaps(uint64_t eff, uint64_t perm) {
  struct __user_cap_header_struct hdr = {_LINUX_CAPABILITY_VERSION_3, 0};
  struct __user_cap_data_struct data[2] = {};
  data[0].effective = static_cast<uint32_t>(eff);
  data[1].effective = static_cast<uint32_t>(eff >> 32);
  data[0].permitted = static_cast<uint32_t>(perm);
  data[1].permitted = static_cast<uint32_t>(perm >> 32);
  return syscall(SYS_capset, &hdr, data) == 0;
}

inline bool HaveCapability(int cap) {
  uint64_t eff, perm;
  return GetCaps(&eff, &perm) && (eff & CapBit(cap)) != 0;
}

// Skips the test, saying why, unless this thread has capability cap.
#define SKIP_WITHOUT_CAPABILITY(cap, why)                      \
  do {                                                         \
    if (!::mqtest::HaveCapability(cap)) GTEST_SKIP() << (why); \
  } while (0)

// Removes cap from this thread's effective, permitted and inheritable sets.
inline bool DropCapability(int cap) {
  struct __user_cap_header_struct hdr = {_LINUX_CAPABILITY_VERSION_3, 0};
  struct __user_cap_data_struct data[2] = {};
  if (syscall(SYS_capget, &hdr, data) != 0) return false;
  unsigned mask = ~(1u << (cap % 32));
  data[cap / 32].effective &= mask;
  data[cap / 32].permitted &= mask;
  data[cap / 32].inheritable &= mask;
  return syscall(SYS_capset, &hdr, data) == 0 && !HaveCapability(cap);
}

// Becomes uid/gid in all three slots with no supplementary groups; as all
// uids become non-zero the kernel clears every capability. Only for a forked
// child (call with a single thread).
inline bool BecomeUser(uid_t uid, gid_t gid) {
  if (syscall(SYS_setgroups, 0, nullptr) != 0) return false;
  if (syscall(SYS_setresgid, gid, gid, gid) != 0) return false;
  if (syscall(SYS_setresuid, uid, uid, uid) != 0) return false;
  return getuid() == uid && geteuid() == uid;
}

// Becomes uid/gid (real, effective and saved) with the given supplementary
// groups and exactly the capabilities in caps (a CapBit mask). Must be
// called as root, in a forked child; use in ASSERT_NO_FATAL_FAILURE.
inline void DropPrivileges(uid_t uid, gid_t gid, uint64_t caps,
                           std::vector<gid_t> groups = {}) {
  ASSERT_EQ(setgroups(groups.size(), groups.data()), 0) << strerror(errno);
  ASSERT_EQ(setresgid(gid, gid, gid), 0) << strerror(errno);
  ASSERT_EQ(prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0), 0) << strerror(errno);
  ASSERT_EQ(setresuid(uid, uid, uid), 0) << strerror(errno);
  ASSERT_TRUE(SetCaps(caps, caps)) << strerror(errno);
}

// Skips the test unless it runs as root (to drop to nobody, to unshare).
#define SKIP_UNLESS_ROOT()                                \
  do {                                                    \
    if (geteuid() != 0) GTEST_SKIP() << "needs root";     \
  } while (0)

}  // namespace mqtest

#endif  // MQSENTRY_TEST_SYSCALLS_LINUX_CAPS_UTIL_H_
