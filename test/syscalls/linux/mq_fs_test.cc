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

// The mqueue filesystem and IPC namespaces for POSIX message queues. The
// filesystem tests mount mqueue in a forked child that has its own mount
// namespace, so the host is untouched. Linux 6.18 is the reference.
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/netlink.h>
#include <mqueue.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <algorithm>
#include <set>
#include <string>

#include "gtest/gtest.h"
#include "test_util.h"

namespace mqtest {
namespace {

constexpr long kMqueueMagic = 0x19800202;

// The line Linux shows when a queue file is read.
std::string QueueLine(unsigned long qsize, int notify, int signo, int pid) {
  char buf[128];
  snprintf(buf, sizeof(buf), "QSIZE:%-10lu NOTIFY:%-5d SIGNO:%-5d NOTIFY_PID:%-6d\n",
           qsize, notify, signo, pid);
  return buf;
}

// Reads a whole file into a string ("" and errno set on error).
std::string ReadAll(const std::string& path) {
  std::string s;
  if (!ReadFileString(path, &s)) return "";
  return s;
}

// Runs fn(dir) in a forked child that has its own mount namespace (and, if
// asked, its own IPC namespace) with mqueue mounted on dir. Skips the test if
// the sandbox can't do that.
#define RUN_WITH_MQUEUE_MOUNT(new_ipc, ...)                                 \
  do {                                                                      \
    TempDir tmp_;                                                           \
    ASSERT_FALSE(tmp_.path().empty()) << strerror(errno);                   \
    std::string dir_ = tmp_.path();                                         \
    auto body_ = __VA_ARGS__;                                               \
    ASSERT_CHILD_OK_OR_SKIP([&] {                                           \
      if (unshare(CLONE_NEWNS | ((new_ipc) ? CLONE_NEWIPC : 0)) != 0)       \
        CHILD_SKIP("unshare(CLONE_NEWNS) failed");                          \
      if (mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) != 0)  \
        CHILD_SKIP("cannot make mounts private");                           \
      if (mount("none", dir_.c_str(), "mqueue", 0, nullptr) != 0)           \
        CHILD_SKIP("cannot mount mqueue");                                  \
      body_(dir_);                                                          \
    });                                                                     \
  } while (0)

TEST(MqFsTest, StatfsMagic) {
  RUN_WITH_MQUEUE_MOUNT(false, [](const std::string& dir) {
    MaybeSave();  // the mount, in the child's own mount namespace, is kept
    struct statfs sfs;
    CHILD_CHECK_OK(statfs(dir.c_str(), &sfs));
    CHILD_CHECK((long)sfs.f_type == kMqueueMagic);
  });
}

TEST(MqFsTest, RootDirectoryIsSticky1777) {
  RUN_WITH_MQUEUE_MOUNT(false, [](const std::string& dir) {
    MaybeSave();
    struct stat st;
    CHILD_CHECK_OK(stat(dir.c_str(), &st));
    CHILD_CHECK(S_ISDIR(st.st_mode));
    CHILD_CHECK((st.st_mode & 07777) == 01777);
  });
}

// The mqueue filesystem keeps no extended attributes, but, as in Linux's
// fs/xattr.c, permission is checked first: a user who may not write a queue
// file gets EACCES from setxattr and removexattr, a user who may not read it
// EACCES from getxattr, and only then EOPNOTSUPP, by path as through a
// descriptor; a non-owner's user.* attribute on the sticky root directory
// is EPERM; listxattr lists nothing.
TEST(MqFsTest, XattrChecksPermissionFirst) {
  ScopedQueueName root_name;
  ScopedQueueName nobody_name;
  if (geteuid() != 0) GTEST_SKIP() << "needs root (to drop to nobody)";
  RUN_WITH_MQUEUE_MOUNT(false, [&](const std::string& dir) {
    umask(0);
    mqd_t fd = mq_open(root_name.c_str(), O_RDWR | O_CREAT | O_EXCL, 0640, nullptr);
    CHILD_CHECK(fd >= 0);
    std::string root_file = dir + root_name;
    std::string nobody_file = dir + nobody_name;
    CHILD_CHECK(::mqtest::BecomeUser(::mqtest::kNobody, ::mqtest::kNogroup));
    // Another user's queue: no write, no read permission.
    CHILD_CHECK_ERRNO(setxattr(root_file.c_str(), "user.x", "1", 1, 0), EACCES);
    CHILD_CHECK_ERRNO(removexattr(root_file.c_str(), "user.x"), EACCES);
    char buf[16];
    CHILD_CHECK_ERRNO(getxattr(root_file.c_str(), "user.x", buf, sizeof(buf)), EACCES);
    CHILD_CHECK(listxattr(root_file.c_str(), buf, sizeof(buf)) == 0);
    CHILD_CHECK_OK(mq_close(fd));
    // The caller's own queue: permission granted, no attributes stored.
    mqd_t own = mq_open(nobody_name.c_str(), O_RDWR | O_CREAT | O_EXCL, 0600, nullptr);
    CHILD_CHECK(own >= 0);
    CHILD_CHECK_ERRNO(setxattr(nobody_file.c_str(), "user.x", "1", 1, 0), EOPNOTSUPP);
    CHILD_CHECK_ERRNO(getxattr(nobody_file.c_str(), "user.x", buf, sizeof(buf)), EOPNOTSUPP);
    CHILD_CHECK_ERRNO(removexattr(nobody_file.c_str(), "user.x"), EOPNOTSUPP);
    CHILD_CHECK(listxattr(nobody_file.c_str(), buf, sizeof(buf)) == 0);
    CHILD_CHECK_ERRNO(fsetxattr(own, "user.x", "1", 1, 0), EOPNOTSUPP);
    CHILD_CHECK_ERRNO(fgetxattr(own, "user.x", buf, sizeof(buf)), EOPNOTSUPP);
    CHILD_CHECK(flistxattr(own, buf, sizeof(buf)) == 0);
    // Through a descriptor the file's mode decides too: made read-only to
    // its owner, the queue refuses fsetxattr even on a descriptor open for
    // writing.
    CHILD_CHECK_OK(fchmod(own, 0400));
    CHILD_CHECK_ERRNO(fsetxattr(own, "user.x", "1", 1, 0), EACCES);
    CHILD_CHECK_ERRNO(fremovexattr(own, "user.x"), EACCES);
    struct stat st;
    CHILD_CHECK_OK(fstat(own, &st));
    CHILD_CHECK((st.st_mode & 07777) == 0400 && st.st_uid == ::mqtest::kNobody);
    // The sticky root directory, owned by root.
    CHILD_CHECK_ERRNO(setxattr(dir.c_str(), "user.x", "1", 1, 0), EPERM);
    CHILD_CHECK_OK(mq_unlink(nobody_name.c_str()));
  });
}

TEST(MqFsTest, QueueAppearsAsFileWithItsMode) {
  ScopedQueueName name;
  ScopedQueueName nobody_name;
  RUN_WITH_MQUEUE_MOUNT(false, [&](const std::string& dir) {
    umask(0);
    mqd_t fd = mq_open(name.c_str(), O_RDWR | O_CREAT | O_EXCL, 0640, nullptr);
    CHILD_CHECK(fd >= 0);
    MaybeSave();
    struct stat st;
    CHILD_CHECK_OK(stat((dir + name).c_str(), &st));
    CHILD_CHECK(S_ISREG(st.st_mode));
    CHILD_CHECK((st.st_mode & 07777) == 0640);
    CHILD_CHECK(st.st_uid == geteuid());
    CHILD_CHECK(st.st_gid == getegid());
    struct stat fst;
    CHILD_CHECK_OK(fstat(fd, &fst));
    CHILD_CHECK(fst.st_ino == st.st_ino);
    CHILD_CHECK(ListDir(dir).count(name.substr(1)) == 1);
    mq_unlink(name.c_str());
    CHILD_CHECK(ListDir(dir).count(name.substr(1)) == 0);

    // Owned by its creator.
    pid_t pid = fork();
    if (pid == 0) {
      if (!BecomeUser(kNobody, kNogroup)) _exit(1);
      mqd_t f = mq_open(nobody_name.c_str(), O_RDWR | O_CREAT | O_EXCL, 0604,
                        nullptr);
      _exit(f >= 0 ? 0 : 2);
    }
    int status;
    CHILD_CHECK(waitpid(pid, &status, 0) == pid && ChildOK(status));
    MaybeSave();
    CHILD_CHECK_OK(stat((dir + nobody_name).c_str(), &st));
    CHILD_CHECK(st.st_uid == kNobody && st.st_gid == kNogroup);
    CHILD_CHECK((st.st_mode & 07777) == 0604);
    mq_unlink(nobody_name.c_str());
  });
  mq_unlink(nobody_name.c_str());
}

TEST(MqFsTest, ReadShowsQueuedBytes) {
  ScopedQueueName name;
  RUN_WITH_MQUEUE_MOUNT(false, [&](const std::string& dir) {
    struct mq_attr a = QueueAttr(4, 32);
    mqd_t fd = mq_open(name.c_str(), O_RDWR | O_CREAT | O_EXCL, 0600, &a);
    CHILD_CHECK(fd >= 0);
    std::string path = dir + name;
    CHILD_CHECK(ReadAll(path) == QueueLine(0, 0, 0, 0));
    CHILD_CHECK_OK(mq_send(fd, "hello", 5, 0));
    CHILD_CHECK_OK(mq_send(fd, "1234567", 7, 3));
    CHILD_CHECK_OK(mq_send(fd, "", 0, 1));
    MaybeSave();
    std::string got = ReadAll(path);
    if (got != QueueLine(12, 0, 0, 0)) CHILD_FAIL("read [%s]", got.c_str());
    char buf[32];
    CHILD_CHECK(mq_receive(fd, buf, sizeof(buf), nullptr) == 7);
    CHILD_CHECK(ReadAll(path) == QueueLine(5, 0, 0, 0));
    mq_unlink(name.c_str());
  });
  mq_unlink(name.c_str());
}

TEST(MqFsTest, ReadShowsSignalRegistration) {
  ScopedQueueName name;
  RUN_WITH_MQUEUE_MOUNT(false, [&](const std::string& dir) {
    mqd_t fd = mq_open(name.c_str(), O_RDWR | O_CREAT | O_EXCL, 0600, nullptr);
    CHILD_CHECK(fd >= 0);
    struct sigevent sev = {};
    sev.sigev_notify = SIGEV_SIGNAL;
    sev.sigev_signo = SIGUSR2;
    CHILD_CHECK_OK(mq_notify(fd, &sev));
    MaybeSave();
    std::string path = dir + name;
    std::string got = ReadAll(path);
    std::string want = QueueLine(0, SIGEV_SIGNAL, SIGUSR2, getpid());
    if (got != want) CHILD_FAIL("read [%s], want [%s]", got.c_str(), want.c_str());
    CHILD_CHECK(SIGEV_SIGNAL == 0);
    CHILD_CHECK_OK(mq_notify(fd, nullptr));
    CHILD_CHECK(ReadAll(path) == QueueLine(0, 0, 0, 0));
    mq_unlink(name.c_str());
  });
  mq_unlink(name.c_str());
}

TEST(MqFsTest, ReadShowsSigevNoneRegistration) {
  ScopedQueueName name;
  RUN_WITH_MQUEUE_MOUNT(false, [&](const std::string& dir) {
    mqd_t fd = mq_open(name.c_str(), O_RDWR | O_CREAT | O_EXCL, 0600, nullptr);
    CHILD_CHECK(fd >= 0);
    struct sigevent sev = {};
    sev.sigev_notify = SIGEV_NONE;
    sev.sigev_signo = SIGUSR2;  // not shown for SIGEV_NONE
    CHILD_CHECK_OK(mq_notify(fd, &sev));
    MaybeSave();
    std::string got = ReadAll(dir + name);
    std::string want = QueueLine(0, SIGEV_NONE, 0, getpid());
    if (got != want) CHILD_FAIL("read [%s], want [%s]", got.c_str(), want.c_str());
    // A message consumes the registration.
    CHILD_CHECK_OK(mq_send(fd, "ab", 2, 0));
    CHILD_CHECK(ReadAll(dir + name) == QueueLine(2, 0, 0, 0));
    mq_unlink(name.c_str());
  });
  mq_unlink(name.c_str());
}

TEST(MqFsTest, ReadShowsSigevThreadRegistration) {
  ScopedQueueName name;
  RUN_WITH_MQUEUE_MOUNT(false, [&](const std::string& dir) {
    mqd_t fd = mq_open(name.c_str(), O_RDWR | O_CREAT | O_EXCL, 0600, nullptr);
    CHILD_CHECK(fd >= 0);
    int sock = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
    CHILD_CHECK(sock >= 0);
    char cookie[32] = {};
    struct sigevent sev = {};
    sev.sigev_notify = SIGEV_THREAD;
    sev.sigev_signo = sock;
    sev.sigev_value.sival_ptr = cookie;
    CHILD_CHECK_OK(syscall(SYS_mq_notify, fd, &sev));
    MaybeSave();
    std::string got = ReadAll(dir + name);
    std::string want = QueueLine(0, SIGEV_THREAD, 0, getpid());
    if (got != want) CHILD_FAIL("read [%s], want [%s]", got.c_str(), want.c_str());
    mq_unlink(name.c_str());
  });
  mq_unlink(name.c_str());
}

// The mq_open descriptor itself reads the same line; the offset advances.
TEST(MqFsTest, ReadThroughMqDescriptor) {
  ScopedMq q = CreateQueue(4, 32);
  ASSERT_TRUE(q.ok()) << strerror(errno);
  ASSERT_EQ(mq_send(q.fd(), "abcdef", 6, 0), 0);
  char buf[256] = {};
  ssize_t n = read(q.fd(), buf, sizeof(buf));
  ASSERT_GT(n, 0) << strerror(errno);
  EXPECT_EQ(std::string(buf, n), QueueLine(6, 0, 0, 0));
  MaybeSave();  // the file offset is kept
  EXPECT_EQ(read(q.fd(), buf, sizeof(buf)), 0);
  memset(buf, 0, sizeof(buf));
  n = pread(q.fd(), buf, 6, 0);
  ASSERT_EQ(n, 6);
  EXPECT_EQ(std::string(buf, n), "QSIZE:");
  // Reading doesn't consume messages.
  struct mq_attr a = {};
  ASSERT_EQ(mq_getattr(q.fd(), &a), 0);
  EXPECT_EQ(a.mq_curmsgs, 1);
}

TEST(MqFsTest, WriteIsEINVAL) {
  ScopedMq q = CreateQueue(4, 32);
  ASSERT_TRUE(q.ok()) << strerror(errno);
  EXPECT_ERRNO(write(q.fd(), "x", 1), EINVAL);
}

TEST(MqFsTest, UnlinkFileRemovesQueue) {
  ScopedQueueName name;
  RUN_WITH_MQUEUE_MOUNT(false, [&](const std::string& dir) {
    mqd_t fd = mq_open(name.c_str(), O_RDWR | O_CREAT | O_EXCL, 0600, nullptr);
    CHILD_CHECK(fd >= 0);
    CHILD_CHECK_OK(unlink((dir + name).c_str()));
    MaybeSave();
    CHILD_CHECK_ERRNO(mq_open(name.c_str(), O_RDWR), ENOENT);
    struct stat st;
    CHILD_CHECK_ERRNO(stat((dir + name).c_str(), &st), ENOENT);
    CHILD_CHECK_ERRNO(mq_unlink(name.c_str()), ENOENT);
    // The open descriptor still works.
    CHILD_CHECK_OK(mq_send(fd, "x", 1, 0));
  });
  mq_unlink(name.c_str());
}

TEST(MqFsTest, OpenedFileIsAQueueDescriptor) {
  ScopedQueueName name;
  RUN_WITH_MQUEUE_MOUNT(false, [&](const std::string& dir) {
    struct mq_attr a = QueueAttr(3, 20);
    mqd_t mfd = mq_open(name.c_str(), O_RDWR | O_CREAT | O_EXCL, 0600, &a);
    CHILD_CHECK(mfd >= 0);
    std::string path = dir + name;
    int fd = open(path.c_str(), O_RDWR);
    CHILD_CHECK(fd >= 0);
    MaybeSave();  // a queue opened through the filesystem
    CHILD_CHECK_OK(mq_getattr(fd, &a));
    CHILD_CHECK(a.mq_maxmsg == 3 && a.mq_msgsize == 20 && a.mq_flags == 0);
    CHILD_CHECK_OK(mq_send(fd, "via open", 8, 4));
    char buf[20];
    unsigned prio = 0;
    CHILD_CHECK(mq_receive(mfd, buf, sizeof(buf), &prio) == 8 && prio == 4);
    CHILD_CHECK_OK(mq_send(mfd, "back", 4, 0));
    CHILD_CHECK(mq_receive(fd, buf, sizeof(buf), nullptr) == 4);
    // open(2) doesn't add close-on-exec.
    CHILD_CHECK((fcntl(fd, F_GETFD) & FD_CLOEXEC) == 0);

    int ro = open(path.c_str(), O_RDONLY | O_NONBLOCK);
    CHILD_CHECK(ro >= 0);
    CHILD_CHECK_ERRNO(mq_send(ro, "x", 1, 0), EBADF);
    CHILD_CHECK_ERRNO(mq_receive(ro, buf, sizeof(buf), nullptr), EAGAIN);
    CHILD_CHECK_OK(mq_getattr(ro, &a));
    CHILD_CHECK(a.mq_flags == O_NONBLOCK);
    mq_unlink(name.c_str());
  });
  mq_unlink(name.c_str());
}

// Linux: creating a file in the mqueue filesystem creates a queue with the
// default attributes, usable through mq_open and through the new fd.
TEST(MqFsTest, CreatingAFileCreatesAQueue) {
  ScopedQueueName name;
  RUN_WITH_MQUEUE_MOUNT(false, [&](const std::string& dir) {
    long msg_max = ReadLongFile(MqSysctl("msg_max"));
    long msg_default = ReadLongFile(MqSysctl("msg_default"));
    long msgsize_max = ReadLongFile(MqSysctl("msgsize_max"));
    long msgsize_default = ReadLongFile(MqSysctl("msgsize_default"));
    CHILD_CHECK(msg_max > 0 && msg_default > 0);
    CHILD_CHECK(msgsize_max > 0 && msgsize_default > 0);
    umask(022);
    int fd = open((dir + name).c_str(), O_RDWR | O_CREAT | O_EXCL, 0666);
    CHILD_CHECK(fd >= 0);
    MaybeSave();
    struct stat st;
    CHILD_CHECK_OK(fstat(fd, &st));
    CHILD_CHECK(S_ISREG(st.st_mode) && (st.st_mode & 07777) == 0644);
    struct mq_attr a = {};
    CHILD_CHECK_OK(mq_getattr(fd, &a));
    CHILD_CHECK(a.mq_maxmsg == std::min(msg_max, msg_default));
    CHILD_CHECK(a.mq_msgsize == std::min(msgsize_max, msgsize_default));
    CHILD_CHECK_OK(mq_send(fd, "file", 4, 2));
    mqd_t mfd = mq_open(name.c_str(), O_RDONLY);
    CHILD_CHECK(mfd >= 0);
    std::string buf(a.mq_msgsize, 0);
    CHILD_CHECK(mq_receive(mfd, &buf[0], buf.size(), nullptr) == 4);
    CHILD_CHECK(buf.substr(0, 4) == "file");
    CHILD_CHECK_ERRNO(open((dir + name).c_str(), O_RDWR | O_CREAT | O_EXCL, 0666),
                      EEXIST);
    CHILD_CHECK_OK(mq_unlink(name.c_str()));
  });
  mq_unlink(name.c_str());
}

// Linux: directories, device nodes, fifos, symlinks, hard links and renames
// are refused with EPERM.
TEST(MqFsTest, OtherNamespaceOperationsEPERM) {
  ScopedQueueName name;
  RUN_WITH_MQUEUE_MOUNT(false, [&](const std::string& dir) {
    CHILD_CHECK_ERRNO(mkdir((dir + "/d").c_str(), 0777), EPERM);
    CHILD_CHECK_ERRNO(mknod((dir + "/p").c_str(), S_IFIFO | 0600, 0), EPERM);
    CHILD_CHECK_ERRNO(symlink("x", (dir + "/s").c_str()), EPERM);
    mqd_t fd = mq_open(name.c_str(), O_RDWR | O_CREAT | O_EXCL, 0600, nullptr);
    CHILD_CHECK(fd >= 0);
    MaybeSave();
    CHILD_CHECK_ERRNO(link((dir + name).c_str(), (dir + "/l").c_str()), EPERM);
    CHILD_CHECK_ERRNO(rename((dir + name).c_str(), (dir + "/r").c_str()), EPERM);
    CHILD_CHECK_OK(mq_unlink(name.c_str()));
  });
  mq_unlink(name.c_str());
}

// chmod on the file changes the queue's permissions.
TEST(MqFsTest, ChmodChangesQueuePermissions) {
  ScopedQueueName name;
  RUN_WITH_MQUEUE_MOUNT(false, [&](const std::string& dir) {
    umask(0);
    mqd_t fd = mq_open(name.c_str(), O_RDWR | O_CREAT | O_EXCL, 0666, nullptr);
    CHILD_CHECK(fd >= 0);
    CHILD_CHECK_OK(chmod((dir + name).c_str(), 0600));
    MaybeSave();
    struct stat st;
    CHILD_CHECK_OK(fstat(fd, &st));
    CHILD_CHECK((st.st_mode & 07777) == 0600);
    pid_t pid = fork();
    if (pid == 0) {
      if (!BecomeUser(kNobody, kNogroup)) _exit(1);
      errno = 0;
      _exit(mq_open(name.c_str(), O_RDONLY) == -1 && errno == EACCES ? 0 : 2);
    }
    int status;
    CHILD_CHECK(waitpid(pid, &status, 0) == pid && ChildOK(status));
    CHILD_CHECK_OK(mq_unlink(name.c_str()));
  });
  mq_unlink(name.c_str());
}

// A mount shows the queues of the mounting task's IPC namespace.
TEST(MqFsTest, MountShowsMountersIpcNamespace) {
  ScopedMq parent_q = CreateQueue(2, 16);
  ASSERT_TRUE(parent_q.ok()) << strerror(errno);
  std::string pname = parent_q.name().substr(1);
  ScopedQueueName cname;
  RUN_WITH_MQUEUE_MOUNT(true, [&](const std::string& dir) {
    std::set<std::string> names = ListDir(dir);
    CHILD_CHECK(names.count(pname) == 0);
    mqd_t fd = mq_open(cname.c_str(), O_RDWR | O_CREAT | O_EXCL, 0600, nullptr);
    CHILD_CHECK(fd >= 0);
    MaybeSave();  // a mount of a child IPC namespace's queues
    names = ListDir(dir);
    CHILD_CHECK(names.count(cname.substr(1)) == 1);
    CHILD_CHECK(names.count(pname) == 0);
  });
  // And without a new IPC namespace the parent's queue is there.
  RUN_WITH_MQUEUE_MOUNT(false, [&](const std::string& dir) {
    CHILD_CHECK(ListDir(dir).count(pname) == 1);
  });
  EXPECT_ERRNO(mq_open(cname.c_str(), O_RDWR), ENOENT);
}

// A mount outlives its IPC namespace as Linux's does once put_ipc_ns has
// detached the superblock from the namespace (mq_clear_sbinfo): the queues
// it names stay, listed, readable, openable as queue descriptors and
// removable, but creating one gives EACCES (mqueue_create_attr), and the
// mount unmounts. As LTP's mqns_03 and mqns_04: a grandchild in an IPC
// namespace of its own mounts mqueue in the child's mount namespace and
// exits, its namespace with it.
TEST(MqFsTest, MountOutlivesItsIpcNamespace) {
  TempDir tmp;
  ASSERT_FALSE(tmp.path().empty()) << strerror(errno);
  const std::string& dir = tmp.path();
  ASSERT_CHILD_OK_OR_SKIP([&] {
    if (unshare(CLONE_NEWNS) != 0) CHILD_SKIP("unshare(CLONE_NEWNS) failed");
    if (mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) != 0)
      CHILD_SKIP("cannot make mounts private");
    int st = RunInChild([&] {
      CHILD_CHECK_OK(unshare(CLONE_NEWIPC));
      CHILD_CHECK_OK(mount("none", dir.c_str(), "mqueue", 0, nullptr));
      struct mq_attr a = QueueAttr(2, 16);
      mqd_t q = mq_open("/kept", O_RDWR | O_CREAT | O_EXCL, 0600, &a);
      CHILD_CHECK(q >= 0);
      CHILD_CHECK_OK(mq_send(q, "left", 4, 3));
    });
    if (!ChildOK(st)) CHILD_FAIL("grandchild %s", DescribeStatus(st).c_str());
    MaybeSave();  // a mount of an IPC namespace that is gone
    CHILD_CHECK_ERRNO(creat((dir + "/new").c_str(), 0600), EACCES);
    CHILD_CHECK_ERRNO(open((dir + "/new").c_str(), O_RDWR | O_CREAT | O_EXCL, 0600), EACCES);
    struct stat sb;
    CHILD_CHECK_ERRNO(stat((dir + "/new").c_str(), &sb), ENOENT);
    std::string kept = dir + "/kept";
    CHILD_CHECK(ListDir(dir) == std::set<std::string>{"kept"});
    CHILD_CHECK_OK(stat(kept.c_str(), &sb));
    CHILD_CHECK(S_ISREG(sb.st_mode) && (sb.st_mode & 07777) == 0600);
    CHILD_CHECK(ReadAll(kept) == QueueLine(4, 0, 0, 0));
    int fd = open(kept.c_str(), O_RDWR);
    CHILD_CHECK(fd >= 0);
    char buf[16];
    unsigned prio = 0;
    CHILD_CHECK(mq_receive(fd, buf, sizeof(buf), &prio) == 4 && prio == 3);
    CHILD_CHECK(memcmp(buf, "left", 4) == 0);
    CHILD_CHECK_OK(close(fd));
    CHILD_CHECK_OK(unlink(kept.c_str()));
    CHILD_CHECK(ListDir(dir).empty());
    CHILD_CHECK_OK(umount(dir.c_str()));
  });
}

// ---------------------------------------------------------------------------
// IPC namespaces.

TEST(MqIpcNamespaceTest, ChildNamespaceQueueInvisibleToParent) {
  ScopedQueueName name;
  int ready[2], go[2];
  pid_t child = ForkWithHandshake(ready, go);
  ASSERT_GE(child, 0);
  if (child == 0) {
    char c = 'y';
    if (unshare(CLONE_NEWIPC) != 0) {
      c = 's';
    } else {
      mqd_t fd = mq_open(name.c_str(), O_RDWR | O_CREAT | O_EXCL, 0600, nullptr);
      if (fd < 0 || mq_send(fd, "ns", 2, 0) != 0) c = 'n';
    }
    (void)!write(ready[1], &c, 1);
    (void)!read(go[0], &c, 1);
    _exit(0);
  }
  char c = 0;
  ASSERT_EQ(read(ready[0], &c, 1), 1);
  MaybeSave();  // with the child's namespace and queue alive
  // While the child's namespace (and queue) is alive the parent doesn't see it.
  errno = 0;
  mqd_t fd = c == 'y' ? mq_open(name.c_str(), O_RDWR) : -1;
  int e = errno;
  ASSERT_EQ(write(go[1], "g", 1), 1);
  int status;
  ASSERT_EQ(waitpid(child, &status, 0), child);
  for (int f : {ready[0], ready[1], go[0], go[1]}) close(f);
  if (c == 's') GTEST_SKIP() << "unshare(CLONE_NEWIPC) failed";
  ASSERT_EQ(c, 'y');
  EXPECT_EQ(fd, -1);
  EXPECT_EQ(e, ENOENT);
  if (fd >= 0) mq_unlink(name.c_str());
  EXPECT_ERRNO(mq_unlink(name.c_str()), ENOENT);
}

TEST(MqIpcNamespaceTest, ParentQueueInvisibleInChildNamespace) {
  ScopedMq q = CreateQueue(2, 16);
  ASSERT_TRUE(q.ok()) << strerror(errno);
  ASSERT_EQ(mq_send(q.fd(), "p", 1, 0), 0);
  std::string name = q.name();
  mqd_t inherited = q.fd();
  ASSERT_CHILD_OK_OR_SKIP([&] {
    if (unshare(CLONE_NEWIPC) != 0) CHILD_SKIP("unshare(CLONE_NEWIPC) failed");
    MaybeSave();
    CHILD_CHECK_ERRNO(mq_open(name.c_str(), O_RDWR), ENOENT);
    CHILD_CHECK_ERRNO(mq_unlink(name.c_str()), ENOENT);
    // The same name is free for a new, different queue here.
    struct mq_attr a = QueueAttr(1, 99);
    mqd_t fd = mq_open(name.c_str(), O_RDWR | O_CREAT | O_EXCL, 0600, &a);
    CHILD_CHECK(fd >= 0);
    CHILD_CHECK_OK(mq_getattr(fd, &a));
    CHILD_CHECK(a.mq_curmsgs == 0 && a.mq_msgsize == 99);
    MaybeSave();
    // A descriptor inherited from the parent still reaches the parent's queue.
    CHILD_CHECK_OK(mq_getattr(inherited, &a));
    CHILD_CHECK(a.mq_curmsgs == 1 && a.mq_msgsize == 16);
  });
  struct mq_attr a = {};
  ASSERT_EQ(mq_getattr(q.fd(), &a), 0);
  EXPECT_EQ(a.mq_curmsgs, 1);
  EXPECT_EQ(a.mq_msgsize, 16);
}

// /proc/sys/fs/mqueue belongs to the IPC namespace; a new namespace starts at
// the defaults whatever its parent's values are.
TEST(MqIpcNamespaceTest, ProcSysStartsAtDefaultsInNewNamespace) {
  const char* names[] = {"msg_max", "msgsize_max", "queues_max", "msg_default",
                         "msgsize_default"};
  const long defaults[] = {10, 8192, 256, 10, 8192};
  const long changed[] = {7, 4096, 9, 5, 1000};
  long host[5];
  for (int i = 0; i < 5; i++) host[i] = ReadLongFile(MqSysctl(names[i]));
  ASSERT_CHILD_OK_OR_SKIP([&] {
    if (unshare(CLONE_NEWIPC) != 0) CHILD_SKIP("unshare(CLONE_NEWIPC) failed");
    for (int i = 0; i < 5; i++) {
      long v = ReadLongFile(MqSysctl(names[i]));
      if (v != defaults[i]) CHILD_FAIL("%s = %ld, want %ld", names[i], v, defaults[i]);
    }
    for (int i = 0; i < 5; i++) {
      int e = WriteLongFile(MqSysctl(names[i]), changed[i]);
      if (e == EACCES || e == EROFS || e == ENOENT || e == EPERM) {
        errno = e;
        CHILD_SKIP("cannot write /proc/sys/fs/mqueue");
      }
      CHILD_CHECK(e == 0);
    }
    MaybeSave();  // the namespace's values are kept
    pid_t pid = fork();
    if (pid == 0) {
      if (unshare(CLONE_NEWIPC) != 0) _exit(1);
      for (int i = 0; i < 5; i++) {
        if (ReadLongFile(MqSysctl(names[i])) != defaults[i]) _exit(10 + i);
      }
      _exit(0);
    }
    int status;
    CHILD_CHECK(waitpid(pid, &status, 0) == pid);
    if (!ChildOK(status)) CHILD_FAIL("grandchild %s", DescribeStatus(status).c_str());
    for (int i = 0; i < 5; i++) {
      CHILD_CHECK(ReadLongFile(MqSysctl(names[i])) == changed[i]);
    }
  });
  for (int i = 0; i < 5; i++) {
    EXPECT_EQ(ReadLongFile(MqSysctl(names[i])), host[i]) << names[i];
  }
}

}  // namespace
}  // namespace mqtest
