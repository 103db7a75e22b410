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

// The message queue sysctls (/proc/sys/kernel/msg*, /proc/sys/fs/mqueue/*)
// and /proc/sys/kernel/threads-max, as a hostile caller meets them:
//
//   - A file shows and sets the IPC namespace of the task that opened it,
//     whoever reads or writes through the descriptor later (Linux binds it
//     to the namespace's ctl_table_set at open: ipc/ipc_sysctl.c,
//     ipc/mq_sysctl.c).
//   - Permission is checked again at every read and write, with the
//     caller's credentials (fs/proc/proc_sysctl.c proc_sys_call_handler):
//     a descriptor kept after dropping privileges writes nothing (EPERM).
//   - Writes parse as Linux's proc_dointvec parses them (kernel/sysctl.c),
//     and each file takes Linux's range.
//
// Every case forks and needs root (it skips otherwise); sysctls are only
// ever written in a private IPC namespace, never the host's, and
// threads-max (not per namespace) only with the value it has. All pass
// natively, under runsc and in save mode.
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/capability.h>
#include <mqueue.h>
#include <sched.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <unistd.h>

#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "test_util.h"

namespace {

using ::mqtest::BecomeUser;
using ::mqtest::ChildMapNobodyTo;
using ::mqtest::kChildSkipExit;
using ::mqtest::kNobody;
using ::mqtest::kNogroup;
using ::mqtest::MaybeSave;
using ::mqtest::RecvFds;
using ::mqtest::SendFds;
using ::mqtest::ReadFileString;

// Moves the forked child into a private IPC namespace of its own, so that
// nothing it writes reaches the host's (or the sandbox's) namespace.
#define CHILD_ENTER_PRIVATE_IPC_NAMESPACE()                                     \
  do {                                                                          \
    if (unshare(CLONE_NEWIPC) != 0) CHILD_SKIP("cannot unshare CLONE_NEWIPC"); \
  } while (0)

const char kThreadsMax[] = "/proc/sys/kernel/threads-max";

// The IPC sysctl files, each with two values in its range that differ from
// its default and from each other.
struct IpcSysctl {
  const char* path;
  const char* first;
  const char* second;
};

const IpcSysctl kIpcSysctls[] = {
    {"/proc/sys/kernel/msgmax", "1111", "1112"},
    {"/proc/sys/kernel/msgmnb", "2221", "2222"},
    {"/proc/sys/kernel/msgmni", "331", "332"},
    {"/proc/sys/kernel/msg_next_id", "4441", "4442"},
    {"/proc/sys/fs/mqueue/msg_max", "51", "52"},
    {"/proc/sys/fs/mqueue/msgsize_max", "6661", "6662"},
    {"/proc/sys/fs/mqueue/queues_max", "71", "72"},
    {"/proc/sys/fs/mqueue/msg_default", "8", "9"},
    {"/proc/sys/fs/mqueue/msgsize_default", "991", "992"},
};
constexpr int kNumIpcSysctls = sizeof(kIpcSysctls) / sizeof(kIpcSysctls[0]);

// The contents of fd read from offset 0, or "<errno N>".
std::string PreadAll(int fd) {
  char buf[64];
  ssize_t n = pread(fd, buf, sizeof(buf), 0);
  if (n < 0) return "<errno " + std::to_string(errno) + ">";
  return std::string(buf, n);
}

// The contents of a file opened afresh, or "<errno N>".
std::string ReadPath(const char* path) {
  std::string s;
  if (!ReadFileString(path, &s)) return "<errno " + std::to_string(errno) + ">";
  return s;
}

// pwrite of text at offset 0: what it returns.
ssize_t PwriteText(int fd, const std::string& text) { return pwrite(fd, text.data(), text.size(), 0); }

// Reproduction A: nobody's child enters a user and IPC namespace of its
// own as their root, sets its limits, opens every IPC sysctl read-write and
// passes the descriptors to its parent, still in the parent's namespaces.
// Reads through them show the child's namespace and writes set it; the
// parent's namespace (here a private one standing in for the initial
// namespace) does not change. The parent may write them: nobody is the
// child's namespace root, and owns its user namespace (every capability
// there, for msg_next_id).
TEST(SysctlTest, DescriptorKeepsOpenersIpcNamespace) {
  SKIP_UNLESS_ROOT();
  ASSERT_CHILD_OK_OR_SKIP([] {
    CHILD_ENTER_PRIVATE_IPC_NAMESPACE();
    std::string before[kNumIpcSysctls];
    for (int i = 0; i < kNumIpcSysctls; i++) before[i] = ReadPath(kIpcSysctls[i].path);
    int sv[2];
    CHILD_CHECK_OK(socketpair(AF_UNIX, SOCK_STREAM, 0, sv));
    CHILD_CHECK(BecomeUser(kNobody, kNogroup));
    fflush(nullptr);
    pid_t pid = fork();
    CHILD_CHECK(pid >= 0);
    if (pid == 0) {
      close(sv[0]);
      if (unshare(CLONE_NEWUSER | CLONE_NEWIPC) != 0) _exit(kChildSkipExit);
      ChildMapNobodyTo("0");
      std::vector<int> fds;
      for (const auto& s : kIpcSysctls) {
        if (!::mqtest::WriteProcFile(s.path, s.first)) CHILD_FAIL("writing %s to %s", s.first, s.path);
        int fd = open(s.path, O_RDWR);
        if (fd < 0) CHILD_FAIL("opening %s", s.path);
        fds.push_back(fd);
      }
      CHILD_CHECK(SendFds(sv[1], fds));
      char go;
      CHILD_CHECK(read(sv[1], &go, 1) == 1);
      // The parent's writes landed here.
      for (const auto& s : kIpcSysctls) {
        if (ReadPath(s.path) != std::string(s.second) + "\n") CHILD_FAIL("%s reads %s", s.path, ReadPath(s.path).c_str());
      }
      _exit(0);
    }
    close(sv[1]);
    std::vector<int> fds = RecvFds(sv[0], kNumIpcSysctls);
    if (fds.empty()) {
      int st = 0;
      CHILD_CHECK(waitpid(pid, &st, 0) == pid);
      if (WIFEXITED(st) && WEXITSTATUS(st) == kChildSkipExit) CHILD_SKIP("unprivileged user namespaces are disabled");
      CHILD_FAIL("no descriptors (child %s)", ::mqtest::DescribeStatus(st).c_str());
    }
    MaybeSave();
    for (int i = 0; i < kNumIpcSysctls; i++) {
      const IpcSysctl& s = kIpcSysctls[i];
      std::string got = PreadAll(fds[i]);
      if (got != std::string(s.first) + "\n") CHILD_FAIL("%s through the child's descriptor reads %s", s.path, got.c_str());
      std::string text = std::string(s.second) + "\n";
      if (PwriteText(fds[i], text) != (ssize_t)text.size()) CHILD_FAIL("writing %s through the child's descriptor", s.path);
      got = PreadAll(fds[i]);
      if (got != text) CHILD_FAIL("%s through the child's descriptor reads %s after the write", s.path, got.c_str());
      got = ReadPath(s.path);
      if (got != before[i]) CHILD_FAIL("the writer's %s changed: %s, was %s", s.path, got.c_str(), before[i].c_str());
    }
    MaybeSave();
    CHILD_CHECK(write(sv[0], "g", 1) == 1);
    int st = 0;
    CHILD_CHECK(waitpid(pid, &st, 0) == pid);
    if (!::mqtest::ChildOK(st)) CHILD_FAIL("namespace child %s", ::mqtest::DescribeStatus(st).c_str());
  });
}

// Reproduction B: root opens every IPC sysctl and threads-max for writing,
// becomes nobody (which clears every capability) and writes through the
// descriptors: EPERM each time, nothing changes, and reading still works.
TEST(SysctlTest, WriteAfterDroppingPrivilegesEPERM) {
  SKIP_UNLESS_ROOT();
  ASSERT_CHILD_OK_OR_SKIP([] {
    CHILD_ENTER_PRIVATE_IPC_NAMESPACE();
    struct Open {
      const char* path;
      std::string value;  // what the write tries
      int fd;
      std::string before;
    };
    std::vector<Open> files;
    for (const auto& s : kIpcSysctls) files.push_back({s.path, std::string(s.first) + "\n", -1, ""});
    // threads-max is the host's: try to write the value it has.
    files.push_back({kThreadsMax, ReadPath(kThreadsMax), -1, ""});
    for (auto& f : files) {
      f.fd = open(f.path, O_RDWR);
      if (f.fd < 0) CHILD_FAIL("opening %s", f.path);
      f.before = PreadAll(f.fd);
    }
    CHILD_CHECK(BecomeUser(kNobody, kNogroup));
    MaybeSave();
    for (const auto& f : files) {
      errno = 0;
      ssize_t n = PwriteText(f.fd, f.value);
      if (n != -1 || errno != EPERM) CHILD_FAIL("%s: write returned %zd, want EPERM", f.path, n);
      // Even an empty write: the check comes before anything is parsed.
      CHILD_CHECK_ERRNO(PwriteText(f.fd, ""), EPERM);
      std::string got = PreadAll(f.fd);
      if (got != f.before) CHILD_FAIL("%s reads %s, was %s", f.path, got.c_str(), f.before.c_str());
    }
  });
}

// msg_next_id is writable only with CAP_SYS_ADMIN or CAP_CHECKPOINT_RESTORE
// in the namespace's user namespace (ipc_permissions), checked at each
// write: root that drops both keeps uid 0, and with it msgmni, but its
// descriptor of msg_next_id writes nothing (EPERM).
TEST(SysctlTest, MsgNextIdWriteNeedsCapabilityAtWrite) {
  SKIP_UNLESS_ROOT();
  ASSERT_CHILD_OK_OR_SKIP([] {
    CHILD_ENTER_PRIVATE_IPC_NAMESPACE();
    int next = open("/proc/sys/kernel/msg_next_id", O_RDWR);
    CHILD_CHECK(next >= 0);
    int mni = open("/proc/sys/kernel/msgmni", O_RDWR);
    CHILD_CHECK(mni >= 0);
    CHILD_CHECK(::mqtest::DropCapability(CAP_SYS_ADMIN));
    CHILD_CHECK(::mqtest::DropCapability(CAP_CHECKPOINT_RESTORE));
    MaybeSave();
    CHILD_CHECK_ERRNO(PwriteText(next, "77"), EPERM);
    CHILD_CHECK(PreadAll(next) == "-1\n");
    CHILD_CHECK_ERRNO(open("/proc/sys/kernel/msg_next_id", O_WRONLY), EACCES);
    CHILD_CHECK(PwriteText(mni, "77") == 2);
    CHILD_CHECK(PreadAll(mni) == "77\n");
  });
}

// One write to /proc/sys/kernel/msgmni (an int in [0, 32768]) at offset 0
// and what Linux does with it: the count write(2) returns and the value
// then read, or -1 for EINVAL (the value is then unchanged, "3").
struct ParseCase {
  std::string in;
  ssize_t ret;
  const char* value;
};

TEST(SysctlTest, WritesParseAsProcDointvec) {
  SKIP_UNLESS_ROOT();
  const ParseCase cases[] = {
      {"5\n", 2, "5"},
      {"  42", 4, "42"},
      {"010", 3, "8"},
      {"0012", 4, "10"},
      {"0x64", 4, "100"},
      {"0X1f", 4, "31"},
      {"-0", 2, "0"},
      {"\r\v\f 7", 5, "7"},
      {"\xa0 9", 3, "9"},
      {"7\n\n\n", 4, "7"},
      {" 5 ", 3, "5"},
      // One int: the blanks after it are consumed, the rest is not.
      {"5 6", 2, "5"},
      {"5\t6\n", 2, "5"},
      {"5\n6", 2, "5"},
      {"1 2 3", 2, "1"},
      {"5 x", 2, "5"},
      {"00000000000000000005", 20, "5"},
      {std::string("5") + std::string(4999, ' '), 5000, "5"},
      {"", 0, "3"},
      {" ", -1, nullptr},
      {"\n", -1, nullptr},
      {"+100", -1, nullptr},
      {"-", -1, nullptr},
      {"- 5", -1, nullptr},
      {"-1", -1, nullptr},
      {"08", -1, nullptr},
      {"0x", -1, nullptr},
      {"0xg", -1, nullptr},
      {"1e3", -1, nullptr},
      {"12abc", -1, nullptr},
      {"7\r", -1, nullptr},
      {std::string("7\0", 2), -1, nullptr},
      {"000000000000000000005", -1, nullptr},
      {"  000000000000000000005", -1, nullptr},
      {"32769", -1, nullptr},
      {"4294967296", -1, nullptr},
      {"18446744073709551616", -1, nullptr},
  };
  ASSERT_CHILD_OK_OR_SKIP([&] {
    CHILD_ENTER_PRIVATE_IPC_NAMESPACE();
    int fd = open("/proc/sys/kernel/msgmni", O_RDWR);
    CHILD_CHECK(fd >= 0);
    for (const auto& c : cases) {
      CHILD_CHECK(PwriteText(fd, "3") == 1);
      errno = 0;
      ssize_t n = PwriteText(fd, c.in);
      std::string want = c.ret < 0 ? "3\n" : std::string(c.value) + "\n";
      if (c.ret < 0 ? (n != -1 || errno != EINVAL) : n != c.ret)
        CHILD_FAIL("writing \"%s\" returned %zd, want %zd", c.in.substr(0, 30).c_str(), n, c.ret);
      std::string got = PreadAll(fd);
      if (got != want) CHILD_FAIL("after \"%s\": %s, want %s", c.in.substr(0, 30).c_str(), got.c_str(), want.c_str());
    }
    MaybeSave();
    // A write past offset 0 changes nothing and reports every byte
    // written (proc_first_pos_non_zero_ignore); so does write(2) at the
    // position a first write left.
    CHILD_CHECK(pwrite(fd, "9", 1, 1) == 1);
    CHILD_CHECK(PreadAll(fd) == "3\n");
    CHILD_CHECK(lseek(fd, 0, SEEK_SET) == 0);
    CHILD_CHECK(write(fd, "11", 2) == 2);
    CHILD_CHECK(write(fd, "12", 2) == 2);
    CHILD_CHECK(PreadAll(fd) == "11\n");
  });
}

// Each IPC sysctl's range, as Linux's table gives it: the last value in
// and the first out on each side. queues_max is a plain proc_dointvec: any
// int, negative ones included.
struct RangeCase {
  const char* path;
  const char* value;
  bool ok;
};

TEST(SysctlTest, IpcSysctlRanges) {
  SKIP_UNLESS_ROOT();
  const RangeCase cases[] = {
      {"/proc/sys/kernel/msgmax", "-1", false},
      {"/proc/sys/kernel/msgmax", "0", true},
      {"/proc/sys/kernel/msgmax", "2147483647", true},
      {"/proc/sys/kernel/msgmax", "2147483648", false},
      {"/proc/sys/kernel/msgmnb", "-1", false},
      {"/proc/sys/kernel/msgmnb", "0", true},
      {"/proc/sys/kernel/msgmnb", "2147483647", true},
      {"/proc/sys/kernel/msgmnb", "2147483648", false},
      {"/proc/sys/kernel/msgmni", "-1", false},
      {"/proc/sys/kernel/msgmni", "0", true},
      {"/proc/sys/kernel/msgmni", "32768", true},
      {"/proc/sys/kernel/msgmni", "32769", false},
      {"/proc/sys/kernel/msg_next_id", "-1", false},
      {"/proc/sys/kernel/msg_next_id", "0", true},
      {"/proc/sys/kernel/msg_next_id", "2147483647", true},
      {"/proc/sys/kernel/msg_next_id", "2147483648", false},
      {"/proc/sys/fs/mqueue/msg_max", "0", false},
      {"/proc/sys/fs/mqueue/msg_max", "1", true},
      {"/proc/sys/fs/mqueue/msg_max", "65536", true},
      {"/proc/sys/fs/mqueue/msg_max", "65537", false},
      {"/proc/sys/fs/mqueue/msg_default", "0", false},
      {"/proc/sys/fs/mqueue/msg_default", "1", true},
      {"/proc/sys/fs/mqueue/msg_default", "65536", true},
      {"/proc/sys/fs/mqueue/msg_default", "65537", false},
      {"/proc/sys/fs/mqueue/msgsize_max", "127", false},
      {"/proc/sys/fs/mqueue/msgsize_max", "128", true},
      {"/proc/sys/fs/mqueue/msgsize_max", "16777216", true},
      {"/proc/sys/fs/mqueue/msgsize_max", "16777217", false},
      {"/proc/sys/fs/mqueue/msgsize_default", "127", false},
      {"/proc/sys/fs/mqueue/msgsize_default", "128", true},
      {"/proc/sys/fs/mqueue/msgsize_default", "16777216", true},
      {"/proc/sys/fs/mqueue/msgsize_default", "16777217", false},
      {"/proc/sys/fs/mqueue/queues_max", "-2147483649", false},
      {"/proc/sys/fs/mqueue/queues_max", "-2147483648", true},
      {"/proc/sys/fs/mqueue/queues_max", "-1", true},
      {"/proc/sys/fs/mqueue/queues_max", "0", true},
      {"/proc/sys/fs/mqueue/queues_max", "2147483647", true},
      {"/proc/sys/fs/mqueue/queues_max", "2147483648", false},
  };
  ASSERT_CHILD_OK_OR_SKIP([&] {
    CHILD_ENTER_PRIVATE_IPC_NAMESPACE();
    for (const auto& c : cases) {
      int fd = open(c.path, O_RDWR);
      if (fd < 0) CHILD_FAIL("opening %s", c.path);
      std::string before = PreadAll(fd);
      errno = 0;
      ssize_t n = PwriteText(fd, c.value);
      if (c.ok ? n != (ssize_t)strlen(c.value) : (n != -1 || errno != EINVAL))
        CHILD_FAIL("%s = %s: write returned %zd", c.path, c.value, n);
      std::string got = PreadAll(fd);
      std::string want = c.ok ? std::string(c.value) + "\n" : before;
      if (got != want) CHILD_FAIL("%s = %s: reads %s", c.path, c.value, got.c_str());
      close(fd);
      if (&c == &cases[0]) MaybeSave();
    }
  });
}

// Linux compares the queue count with queues_max as unsigned ints: at 0
// an unprivileged mq_open is refused (ENOSPC), at -1 it is not.
TEST(SysctlTest, NegativeQueuesMaxIsNoLimit) {
  SKIP_UNLESS_ROOT();
  ASSERT_CHILD_OK_OR_SKIP([] {
    CHILD_ENTER_PRIVATE_IPC_NAMESPACE();
    const std::string queues_max = ::mqtest::MqSysctl("queues_max");
    struct mq_attr a = ::mqtest::QueueAttr(1, 16);
    for (long limit : {0L, -1L}) {
      CHILD_CHECK(::mqtest::WriteLongFile(queues_max, limit) == 0);
      MaybeSave();
      int st = ::mqtest::RunInChild([&] {
        CHILD_CHECK(BecomeUser(kNobody, kNogroup));
        mqd_t q = mq_open("/negative_queues_max", O_RDWR | O_CREAT | O_EXCL, 0600, &a);
        if (limit == 0) {
          CHILD_CHECK(q == (mqd_t)-1 && errno == ENOSPC);
        } else {
          CHILD_CHECK(q != (mqd_t)-1);
          CHILD_CHECK_OK(mq_unlink("/negative_queues_max"));
        }
      });
      if (!::mqtest::ChildOK(st)) CHILD_FAIL("queues_max %ld: %s", limit, ::mqtest::DescribeStatus(st).c_str());
    }
  });
}

}  // namespace
