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

// user.max_ipc_namespaces: how many IPC namespaces each user may create, per
// user namespace and up the chain of user namespaces (Linux's ucounts,
// kernel/ucount.c; ENOSPC past the limit, for clone(2) and unshare(2)
// alike). Every case runs as nobody in user namespaces of its own, so
// natively it changes nothing outside them.

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <linux/capability.h>
#include <sched.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <string>
#include <vector>

#include "check_util.h"
#include "gtest/gtest.h"
#include "test_util.h"

namespace {

using ::mqtest::BecomeUser;
using ::mqtest::ChildEnterOwnNamespacesAsTheirRoot;
using ::mqtest::kNobody;
using ::mqtest::kNogroup;
using ::mqtest::MaybeSave;
using ::mqtest::RecvFds;
using ::mqtest::SendFds;
using ::mqtest::WriteProcFile;

constexpr char kMaxFile[] = "/proc/sys/user/max_ipc_namespaces";

long ReadLong(const char* path) {
  int fd = open(path, O_RDONLY);
  if (fd < 0) return -1;
  char buf[32] = {};
  ssize_t n = read(fd, buf, sizeof(buf) - 1);
  close(fd);
  return n > 0 ? strtol(buf, nullptr, 10) : -1;
}

// In a child that is root of a user namespace: enters a further one, root
// in it too (0 mapped to 0).
void ChildEnterNestedUserNamespace() {
  CHILD_CHECK_OK(unshare(CLONE_NEWUSER));
  CHILD_CHECK(WriteProcFile("/proc/self/setgroups", "deny"));
  CHILD_CHECK(WriteProcFile("/proc/self/uid_map", "0 0 1"));
  CHILD_CHECK(WriteProcFile("/proc/self/gid_map", "0 0 1"));
}

// Enters a new IPC namespace and keeps the old one alive through a
// descriptor, which it returns (or -1 with errno).
int UnshareIpcKeepingOld() {
  int old = open("/proc/self/ns/ipc", O_RDONLY | O_CLOEXEC);
  if (old < 0) return -1;
  if (unshare(CLONE_NEWIPC) != 0) {
    int e = errno;
    close(old);
    errno = e;
    return -1;
  }
  return old;
}

// clone(2) with CLONE_NEWIPC: 0 if the child was made (it exits at once),
// else -1 with errno.
int CloneNewIpc() {
  pid_t pid = syscall(SYS_clone, CLONE_NEWIPC | SIGCHLD, nullptr, nullptr, nullptr, nullptr);
  if (pid == 0) _exit(0);
  if (pid < 0) return -1;
  int st;
  waitpid(pid, &st, 0);
  return 0;
}

// Tries unshare(CLONE_NEWIPC) until it works: Linux frees a namespace (and
// its count) from a work queue after its last reference goes.
bool UnshareIpcEventually() {
  for (int i = 0; i < 500; i++) {
    if (unshare(CLONE_NEWIPC) == 0) return true;
    if (errno != ENOSPC) return false;
    struct timespec ts = {0, 10 * 1000 * 1000};
    nanosleep(&ts, nullptr);
  }
  return false;
}

// A new user namespace starts at INT_MAX; nobody outside it may write the
// file, and its own root may.
TEST(IpcNamespaceCountTest, DefaultsAndWhoMayWrite) {
  SKIP_UNLESS_ROOT();
  ASSERT_GT(ReadLong(kMaxFile), 0);
  ASSERT_CHILD_OK_OR_SKIP([] {
    CHILD_CHECK(BecomeUser(kNobody, kNogroup));
    CHILD_CHECK_ERRNO(open(kMaxFile, O_WRONLY), EACCES);
    CHILD_CHECK(ReadLong(kMaxFile) > 0);
    if (unshare(CLONE_NEWUSER) != 0) CHILD_SKIP("unprivileged user namespaces are disabled");
    // Even unmapped, the namespace's creator holds every capability in it.
    CHILD_CHECK(ReadLong(kMaxFile) == INT_MAX);
    CHILD_CHECK(WriteProcFile(kMaxFile, "7"));
    CHILD_CHECK(ReadLong(kMaxFile) == 7);
    CHILD_CHECK(!WriteProcFile(kMaxFile, "-1"));
    CHILD_CHECK(ReadLong(kMaxFile) == 7);
  });
}

// A descriptor opened for writing by a user namespace's root is refused at
// write time once the writer lost CAP_SYS_RESOURCE (EPERM, as
// proc_sys_call_handler checks every write).
TEST(IpcNamespaceCountTest, WriteThroughDescriptorNeedsCapability) {
  SKIP_UNLESS_ROOT();
  ASSERT_CHILD_OK_OR_SKIP([] {
    ChildEnterOwnNamespacesAsTheirRoot(0);
    int fd = open(kMaxFile, O_WRONLY);
    CHILD_CHECK(fd >= 0);
    CHILD_CHECK(::mqtest::DropCapability(CAP_SYS_RESOURCE));
    MaybeSave();
    CHILD_CHECK_ERRNO(write(fd, "3", 1), EPERM);
    CHILD_CHECK(ReadLong(kMaxFile) == INT_MAX);
    close(fd);
  });
}

// The limit counts the IPC namespaces a user has made in the user namespace,
// for unshare(2) and clone(2) alike; one freed makes room again.
TEST(IpcNamespaceCountTest, LimitInOwnUserNamespace) {
  SKIP_UNLESS_ROOT();
  ASSERT_CHILD_OK_OR_SKIP([] {
    ChildEnterOwnNamespacesAsTheirRoot(0);
    CHILD_CHECK(WriteProcFile(kMaxFile, "2"));
    int first = UnshareIpcKeepingOld();  // holds the initial namespace, not counted here
    CHILD_CHECK(first >= 0);
    int second = UnshareIpcKeepingOld();  // holds the first new one
    CHILD_CHECK(second >= 0);
    MaybeSave();
    CHILD_CHECK(ReadLong(kMaxFile) == 2);
    CHILD_CHECK_ERRNO(unshare(CLONE_NEWIPC), ENOSPC);
    CHILD_CHECK_ERRNO(CloneNewIpc(), ENOSPC);
    close(second);  // the first new namespace goes
    CHILD_CHECK(UnshareIpcEventually());
    close(first);
  });
}

// A namespace made in a nested user namespace also counts against its
// creator in the parent user namespace, whose own limit then applies.
TEST(IpcNamespaceCountTest, ParentUserNamespaceLimitApplies) {
  SKIP_UNLESS_ROOT();
  ASSERT_CHILD_OK_OR_SKIP([] {
    ChildEnterOwnNamespacesAsTheirRoot(0);
    CHILD_CHECK(WriteProcFile(kMaxFile, "1"));
    ChildEnterNestedUserNamespace();
    CHILD_CHECK(ReadLong(kMaxFile) == INT_MAX);
    int held = UnshareIpcKeepingOld();
    CHILD_CHECK(held >= 0);
    MaybeSave();
    CHILD_CHECK_ERRNO(unshare(CLONE_NEWIPC), ENOSPC);
    close(held);
  });
}

// A limit of 0 stops the first new namespace; the limit of the namespace
// that owns the new IPC namespace is what counts, not the caller's old one.
TEST(IpcNamespaceCountTest, ZeroRefusesAndUserNamespaceTogether) {
  SKIP_UNLESS_ROOT();
  ASSERT_CHILD_OK_OR_SKIP([] {
    ChildEnterOwnNamespacesAsTheirRoot(0);
    CHILD_CHECK(WriteProcFile(kMaxFile, "0"));
    CHILD_CHECK_ERRNO(unshare(CLONE_NEWIPC), ENOSPC);
    // A new user namespace with its IPC namespace is charged to it (at
    // INT_MAX) and to this one (at 0): refused.
    CHILD_CHECK_ERRNO(unshare(CLONE_NEWUSER | CLONE_NEWIPC), ENOSPC);
  });
}

// A descriptor opened by a user namespace's root stays bound to that user
// namespace: passed (SCM_RIGHTS) to a process in a child user namespace,
// root there but without CAP_SYS_RESOURCE in the first, it reads the first
// namespace's limit, not the child's, and a write through it is refused at
// write time (EPERM: set_permissions leaves that process read-only).
TEST(IpcNamespaceCountTest, DescriptorPassedIntoChildUserNamespace) {
  SKIP_UNLESS_ROOT();
  ASSERT_CHILD_OK_OR_SKIP([] {
    ChildEnterOwnNamespacesAsTheirRoot(0);
    CHILD_CHECK(WriteProcFile(kMaxFile, "5"));
    int sv[2];
    CHILD_CHECK_OK(socketpair(AF_UNIX, SOCK_STREAM, 0, sv));
    fflush(nullptr);
    pid_t pid = fork();
    CHILD_CHECK(pid >= 0);
    if (pid == 0) {
      close(sv[0]);
      ChildEnterNestedUserNamespace();
      CHILD_CHECK(ReadLong(kMaxFile) == INT_MAX);
      std::vector<int> fds = RecvFds(sv[1], 1);
      CHILD_CHECK(fds.size() == 1);
      char buf[32] = {};
      CHILD_CHECK(pread(fds[0], buf, sizeof(buf) - 1, 0) > 0);
      CHILD_CHECK(strtol(buf, nullptr, 10) == 5);
      CHILD_CHECK_ERRNO(pwrite(fds[0], "3", 1, 0), EPERM);
      _exit(0);
    }
    close(sv[1]);
    int fd = open(kMaxFile, O_RDWR);
    CHILD_CHECK(fd >= 0);
    CHILD_CHECK(SendFds(sv[0], {fd}));
    MaybeSave();
    int st = 0;
    CHILD_CHECK(waitpid(pid, &st, 0) == pid);
    if (!::mqtest::ChildOK(st)) CHILD_FAIL("child user namespace %s", ::mqtest::DescribeStatus(st).c_str());
    CHILD_CHECK(ReadLong(kMaxFile) == 5);
    close(fd);
  });
}

}  // namespace
