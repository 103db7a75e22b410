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

// Namespaces of the syscall tests: a private IPC namespace for a child, and
// a user namespace (plus others) whose root is nobody outside.
#ifndef MQSENTRY_TEST_SYSCALLS_LINUX_NS_UTIL_H_
#define MQSENTRY_TEST_SYSCALLS_LINUX_NS_UTIL_H_

#include <errno.h>
#include <sched.h>
#include <string.h>
#include <sys/prctl.h>
#include <unistd.h>

#include <string>

#include "caps_util.h"
#include "child_util.h"
#include "gtest/gtest.h"
#include "proc_util.h"

namespace mqtest {

// Moves this process (a forked child: the namespace is not left again) into
// a new, empty IPC namespace; use in ASSERT_NO_FATAL_FAILURE.
inline void EnterNewIpcNamespace() {
  ASSERT_EQ(unshare(CLONE_NEWIPC), 0) << strerror(errno);
}

// In a child that, as nobody, has just unshared CLONE_NEWUSER: maps nobody
// (65534 outside) to uid and gid inside_id of the new user namespace.
inline void ChildMapNobodyTo(const char* inside_id) {
  // Dropping root made the process non-dumpable, which keeps /proc/self's
  // files root's.
  CHILD_CHECK_OK(prctl(PR_SET_DUMPABLE, 1));
  CHILD_CHECK(WriteProcFile("/proc/self/setgroups", "deny"));
  std::string map = std::string(inside_id) + " 65534 1";
  CHILD_CHECK(WriteProcFile("/proc/self/uid_map", map.c_str()));
  CHILD_CHECK(WriteProcFile("/proc/self/gid_map", map.c_str()));
}

// In a forked child of root: enters, as nobody, a new user namespace and
// the new namespaces of others (CLONE_NEW* flags) it owns, with nobody
// mapped to the new user namespace's root, which may then write the
// namespace's IPC sysctls but has no capability outside (Linux's capable()
// exemptions from the limits do not apply). Skips the child (CHILD_SKIP)
// where unprivileged user namespaces are disabled.
inline void ChildEnterOwnNamespacesAsTheirRoot(int others) {
  CHILD_CHECK(BecomeUser(kNobody, kNogroup));
  if (unshare(CLONE_NEWUSER | others) != 0) CHILD_SKIP("unprivileged user namespaces are disabled");
  ChildMapNobodyTo("0");
  CHILD_CHECK(getuid() == 0 && geteuid() == 0);
}

// The same with a new IPC namespace.
inline void ChildEnterOwnIpcNamespaceAsItsRoot() { ChildEnterOwnNamespacesAsTheirRoot(CLONE_NEWIPC); }

}  // namespace mqtest

#endif  // MQSENTRY_TEST_SYSCALLS_LINUX_NS_UTIL_H_
