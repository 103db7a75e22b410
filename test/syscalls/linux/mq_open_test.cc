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

// mq_open(3)/mq_open(2): names, permissions, attributes, limits, umask and
// close-on-exec. Linux 6.18 is the reference.
#include <errno.h>
#include <fcntl.h>
#include <linux/capability.h>
#include <mqueue.h>
#include <sched.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "test_util.h"

namespace mqtest {
namespace {

constexpr long kHardMsgMax = 65536;
constexpr long kHardMsgSizeMax = 16 * 1024 * 1024;

// In a forked child: enters a fresh IPC namespace or skips the test.
void ChildUnshareIpcOrSkip() {
  if (unshare(CLONE_NEWIPC) != 0) CHILD_SKIP("unshare(CLONE_NEWIPC) failed");
}

// In a forked child: writes a /proc/sys/fs/mqueue value, skipping the test if
// the file can't be written at all.
void ChildWriteSysctlOrSkip(const char* name, long v) {
  int e = WriteLongFile(MqSysctl(name), v);
  if (e == EACCES || e == EROFS || e == ENOENT || e == EPERM) {
    errno = e;
    CHILD_SKIP("cannot write /proc/sys/fs/mqueue");
  }
  if (e != 0) {
    errno = e;
    CHILD_FAIL("writing %s=%ld", name, v);
  }
}

TEST(MqOpenTest, CreateWithAttrAndReopen) {
  ScopedMq q = CreateQueue(3, 100);
  ASSERT_TRUE(q.ok()) << strerror(errno);
  MaybeSave();

  struct mq_attr a = {};
  ASSERT_EQ(mq_getattr(q.fd(), &a), 0) << strerror(errno);
  EXPECT_EQ(a.mq_flags, 0);
  EXPECT_EQ(a.mq_maxmsg, 3);
  EXPECT_EQ(a.mq_msgsize, 100);
  EXPECT_EQ(a.mq_curmsgs, 0);

  mqd_t fd2 = mq_open(q.cname(), O_RDONLY);
  ASSERT_GE(fd2, 0) << strerror(errno);
  ASSERT_EQ(mq_getattr(fd2, &a), 0);
  EXPECT_EQ(a.mq_maxmsg, 3);
  EXPECT_EQ(a.mq_msgsize, 100);
  EXPECT_NE(fd2, q.fd());
  mq_close(fd2);
}

TEST(MqOpenTest, NonblockFlagAtOpen) {
  ScopedMq q = CreateQueue(2, 16, O_RDWR | O_NONBLOCK);
  ASSERT_TRUE(q.ok()) << strerror(errno);
  MaybeSave();
  struct mq_attr a = {};
  ASSERT_EQ(mq_getattr(q.fd(), &a), 0);
  EXPECT_EQ(a.mq_flags, O_NONBLOCK);
  char buf[16];
  EXPECT_ERRNO(mq_receive(q.fd(), buf, sizeof(buf), nullptr), EAGAIN);
}

TEST(MqOpenTest, DefaultAttrWithNullAttr) {
  long msg_max = ReadLongFile(MqSysctl("msg_max"));
  long msg_default = ReadLongFile(MqSysctl("msg_default"));
  long msgsize_max = ReadLongFile(MqSysctl("msgsize_max"));
  long msgsize_default = ReadLongFile(MqSysctl("msgsize_default"));
  ASSERT_GT(msg_max, 0);
  ASSERT_GT(msg_default, 0);
  ASSERT_GT(msgsize_max, 0);
  ASSERT_GT(msgsize_default, 0);

  ScopedMq q = CreateQueue(/*maxmsg=*/0);  // NULL attr
  ASSERT_TRUE(q.ok()) << strerror(errno);
  MaybeSave();
  struct mq_attr a = {};
  ASSERT_EQ(mq_getattr(q.fd(), &a), 0);
  EXPECT_EQ(a.mq_maxmsg, std::min(msg_max, msg_default));
  EXPECT_EQ(a.mq_msgsize, std::min(msgsize_max, msgsize_default));
  EXPECT_EQ(a.mq_curmsgs, 0);
}

// The NULL-attr defaults are min(max, default), checked with each side
// smaller in a fresh IPC namespace (the host's values are untouched).
TEST(MqOpenTest, DefaultAttrIsMinOfMaxAndDefault) {
  ScopedQueueName n1, n2;
  ASSERT_CHILD_OK_OR_SKIP([&] {
    ChildUnshareIpcOrSkip();
    ChildWriteSysctlOrSkip("msg_max", 4);
    ChildWriteSysctlOrSkip("msg_default", 10);
    ChildWriteSysctlOrSkip("msgsize_max", 1024);
    ChildWriteSysctlOrSkip("msgsize_default", 8192);
    MaybeSave();  // the namespace's limits are kept
    mqd_t fd = mq_open(n1.c_str(), O_RDWR | O_CREAT | O_EXCL, 0600, nullptr);
    CHILD_CHECK(fd >= 0);
    struct mq_attr a = {};
    CHILD_CHECK_OK(mq_getattr(fd, &a));
    CHILD_CHECK(a.mq_maxmsg == 4);
    CHILD_CHECK(a.mq_msgsize == 1024);

    ChildWriteSysctlOrSkip("msg_max", 10);
    ChildWriteSysctlOrSkip("msg_default", 3);
    ChildWriteSysctlOrSkip("msgsize_max", 8192);
    ChildWriteSysctlOrSkip("msgsize_default", 512);
    fd = mq_open(n2.c_str(), O_RDWR | O_CREAT | O_EXCL, 0600, nullptr);
    CHILD_CHECK(fd >= 0);
    CHILD_CHECK_OK(mq_getattr(fd, &a));
    CHILD_CHECK(a.mq_maxmsg == 3);
    CHILD_CHECK(a.mq_msgsize == 512);
    // The namespace (and its queues) die with the child.
  });
}

TEST(MqOpenTest, InteriorSlashEACCES) {
  std::string name = UniqueQueueName() + "/x";
  EXPECT_ERRNO(mq_open(name.c_str(), O_RDWR | O_CREAT, 0600, nullptr), EACCES);
  EXPECT_ERRNO(mq_open(name.c_str(), O_RDWR), EACCES);
  // The raw syscall gets the name without glibc's leading '/': a '/' in it
  // is refused the same way.
  std::string raw = name.substr(1);
  EXPECT_ERRNO(syscall(SYS_mq_open, raw.c_str(), O_RDWR | O_CREAT, 0600, nullptr), EACCES);
}

// glibc wants a leading '/' (EINVAL otherwise) and strips it: the kernel
// sees the name without it.
TEST(MqOpenTest, GlibcStripsLeadingSlash) {
  ScopedQueueName name;
  EXPECT_ERRNO(mq_open(name.c_str() + 1, O_RDWR | O_CREAT, 0600, nullptr), EINVAL);

  int fd = syscall(SYS_mq_open, name.c_str() + 1, O_RDWR | O_CREAT | O_EXCL,
                   0600, nullptr);
  ASSERT_GE(fd, 0) << strerror(errno);
  ScopedMq q(name, fd);
  mqd_t fd2 = mq_open(name.c_str(), O_RDWR);
  ASSERT_GE(fd2, 0) << strerror(errno);
  ASSERT_EQ(mq_send(fd, "abc", 3, 1), 0);
  MaybeSave();
  char buf[8192];
  EXPECT_EQ(mq_receive(fd2, buf, sizeof(buf), nullptr), 3);
  mq_close(fd2);
}

// Linux refuses "." and ".." as names with EACCES (its lookup rejects them),
// with and without O_CREAT.
TEST(MqOpenTest, DotAndDotDotEACCES) {
  for (const char* n : {"/.", "/.."}) {
    errno = 0;
    EXPECT_EQ(mq_open(n, O_RDWR | O_CREAT, 0600, nullptr), -1) << n;
    EXPECT_EQ(errno, EACCES) << n;
    errno = 0;
    EXPECT_EQ(mq_open(n, O_RDWR), -1) << n;
    EXPECT_EQ(errno, EACCES) << n;
    errno = 0;
    EXPECT_EQ(mq_unlink(n), -1) << n;
    EXPECT_EQ(errno, EACCES) << n;
  }
}

TEST(MqOpenTest, NoReadPermissionEACCES) {
  ScopedMq q = CreateQueue(2, 16, O_RDWR, 0600);
  ASSERT_TRUE(q.ok()) << strerror(errno);
  std::string name = q.name();
  EXPECT_CHILD_OK([&] {
    CHILD_CHECK(BecomeUser(kNobody, kNogroup));
    MaybeSave();
    CHILD_CHECK_ERRNO(mq_open(name.c_str(), O_RDONLY), EACCES);
    CHILD_CHECK_ERRNO(mq_open(name.c_str(), O_WRONLY), EACCES);
    CHILD_CHECK_ERRNO(mq_open(name.c_str(), O_RDWR), EACCES);
    // O_CREAT without O_EXCL on an existing queue still checks permission.
    CHILD_CHECK_ERRNO(mq_open(name.c_str(), O_RDWR | O_CREAT, 0666, nullptr),
                      EACCES);
  });
}

TEST(MqOpenTest, PermissionPerAccessMode) {
  mode_t old = umask(0);
  ScopedMq q = CreateQueue(2, 16, O_RDWR, 0642);  // other: write only
  umask(old);
  ASSERT_TRUE(q.ok()) << strerror(errno);
  std::string name = q.name();
  EXPECT_CHILD_OK([&] {
    CHILD_CHECK(BecomeUser(kNobody, kNogroup));
    CHILD_CHECK_ERRNO(mq_open(name.c_str(), O_RDONLY), EACCES);
    CHILD_CHECK_ERRNO(mq_open(name.c_str(), O_RDWR), EACCES);
    mqd_t fd = mq_open(name.c_str(), O_WRONLY);
    CHILD_CHECK(fd >= 0);
    MaybeSave();
    CHILD_CHECK_OK(mq_send(fd, "x", 1, 0));
    CHILD_CHECK_OK(mq_close(fd));
  });
  struct mq_attr a = {};
  ASSERT_EQ(mq_getattr(q.fd(), &a), 0);
  EXPECT_EQ(a.mq_curmsgs, 1);
}

// The owner with mode 0 is refused unless it has CAP_DAC_OVERRIDE.
TEST(MqOpenTest, DacOverrideCapability) {
  ScopedMq q = CreateQueue(2, 16, O_RDWR, 0000);
  ASSERT_TRUE(q.ok()) << strerror(errno);
  std::string name = q.name();
  if (HaveCapability(CAP_DAC_OVERRIDE)) {
    mqd_t fd = mq_open(name.c_str(), O_RDWR);
    EXPECT_GE(fd, 0) << strerror(errno);
    if (fd >= 0) mq_close(fd);
  }
  EXPECT_CHILD_OK([&] {
    CHILD_CHECK(DropCapability(CAP_DAC_OVERRIDE));
    CHILD_CHECK(DropCapability(CAP_DAC_READ_SEARCH));
    MaybeSave();  // the dropped capabilities stay dropped
    CHILD_CHECK_ERRNO(mq_open(name.c_str(), O_RDONLY), EACCES);
    CHILD_CHECK_ERRNO(mq_open(name.c_str(), O_WRONLY), EACCES);
  });
}

TEST(MqOpenTest, CreateExclusiveEEXIST) {
  ScopedMq q = CreateQueue(2, 16);
  ASSERT_TRUE(q.ok()) << strerror(errno);
  MaybeSave();
  struct mq_attr a = QueueAttr(2, 16);
  EXPECT_ERRNO(mq_open(q.cname(), O_RDWR | O_CREAT | O_EXCL, 0600, &a), EEXIST);
  // EEXIST comes before the attr check and the access-mode check.
  struct mq_attr bad = QueueAttr(0, 0);
  EXPECT_ERRNO(mq_open(q.cname(), O_RDWR | O_CREAT | O_EXCL, 0600, &bad), EEXIST);
  EXPECT_ERRNO(mq_open(q.cname(), O_ACCMODE | O_CREAT | O_EXCL, 0600, nullptr), EEXIST);
}

TEST(MqOpenTest, CreateExclusiveEEXISTWithoutPermission) {
  ScopedMq q = CreateQueue(2, 16, O_RDWR, 0600);
  ASSERT_TRUE(q.ok()) << strerror(errno);
  std::string name = q.name();
  EXPECT_CHILD_OK([&] {
    CHILD_CHECK(BecomeUser(kNobody, kNogroup));
    CHILD_CHECK_ERRNO(
        mq_open(name.c_str(), O_RDWR | O_CREAT | O_EXCL, 0600, nullptr), EEXIST);
    CHILD_CHECK_ERRNO(
        mq_open(name.c_str(), O_RDONLY | O_CREAT | O_EXCL, 0600, nullptr), EEXIST);
  });
}

// O_CREAT without O_EXCL on an existing queue opens it and ignores attr
// (even an invalid one) and mode.
TEST(MqOpenTest, CreateExistingIgnoresAttr) {
  ScopedMq q = CreateQueue(3, 32);
  ASSERT_TRUE(q.ok()) << strerror(errno);
  MaybeSave();
  struct mq_attr bad = QueueAttr(0, -1);
  mqd_t fd = mq_open(q.cname(), O_RDWR | O_CREAT, 0777, &bad);
  ASSERT_GE(fd, 0) << strerror(errno);
  struct mq_attr a = {};
  ASSERT_EQ(mq_getattr(fd, &a), 0);
  EXPECT_EQ(a.mq_maxmsg, 3);
  EXPECT_EQ(a.mq_msgsize, 32);
  struct stat st;
  ASSERT_EQ(fstat(fd, &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 0600u);
  mq_close(fd);
}

TEST(MqOpenTest, NonPositiveAttrEINVAL) {
  ScopedQueueName name;
  const long cases[][2] = {{0, 16}, {-1, 16}, {2, 0}, {2, -1}, {0, 0}};
  for (const auto& c : cases) {
    struct mq_attr a = QueueAttr(c[0], c[1]);
    errno = 0;
    EXPECT_EQ(mq_open(name.c_str(), O_RDWR | O_CREAT, 0600, &a), -1)
        << c[0] << " " << c[1];
    EXPECT_EQ(errno, EINVAL) << c[0] << " " << c[1];
  }
  errno = 0;
  EXPECT_EQ(mq_open(name.c_str(), O_RDWR), -1);
  EXPECT_EQ(errno, ENOENT);  // nothing was created
}

// Without CAP_SYS_RESOURCE the namespace's msg_max/msgsize_max bound the
// attributes; at the limit is fine.
TEST(MqOpenTest, AboveSysctlLimitsWithoutCapSysResourceEINVAL) {
  ScopedQueueName n1, n2, n3;
  EXPECT_CHILD_OK([&] {
    // A fresh IPC namespace (when possible) has the default limits.
    (void)unshare(CLONE_NEWIPC);
    CHILD_CHECK(DropCapability(CAP_SYS_RESOURCE));
    MaybeSave();
    long msg_max = ReadLongFile(MqSysctl("msg_max"));
    long msgsize_max = ReadLongFile(MqSysctl("msgsize_max"));
    CHILD_CHECK(msg_max > 0 && msgsize_max > 0);
    struct mq_attr a = QueueAttr(msg_max + 1, 16);
    CHILD_CHECK_ERRNO(mq_open(n1.c_str(), O_RDWR | O_CREAT, 0600, &a), EINVAL);
    a = QueueAttr(1, msgsize_max + 1);
    CHILD_CHECK_ERRNO(mq_open(n1.c_str(), O_RDWR | O_CREAT, 0600, &a), EINVAL);
    CHILD_CHECK_ERRNO(mq_open(n1.c_str(), O_RDWR), ENOENT);

    if (msg_max <= 1024) {
      a = QueueAttr(msg_max, 16);
      mqd_t fd = mq_open(n2.c_str(), O_RDWR | O_CREAT | O_EXCL, 0600, &a);
      CHILD_CHECK(fd >= 0);
      mq_close(fd);
      CHILD_CHECK_OK(mq_unlink(n2.c_str()));
    }
    if (msgsize_max <= 65536) {
      a = QueueAttr(1, msgsize_max);
      mqd_t fd = mq_open(n3.c_str(), O_RDWR | O_CREAT | O_EXCL, 0600, &a);
      CHILD_CHECK(fd >= 0);
      mq_close(fd);
      CHILD_CHECK_OK(mq_unlink(n3.c_str()));
    }
  });
  mq_unlink(n2.c_str());
  mq_unlink(n3.c_str());
}

// With CAP_SYS_RESOURCE the sysctl limits don't apply (only the hard ones).
TEST(MqOpenTest, AboveSysctlLimitsWithCapSysResource) {
  SKIP_WITHOUT_CAPABILITY(CAP_SYS_RESOURCE, "needs CAP_SYS_RESOURCE, which this process lacks");
  ScopedQueueName n1, n2;
  EXPECT_CHILD_OK([&] {
    (void)unshare(CLONE_NEWIPC);
    ChildSetMsgqueueRlimit(RLIM_INFINITY);
    long msg_max = ReadLongFile(MqSysctl("msg_max"));
    long msgsize_max = ReadLongFile(MqSysctl("msgsize_max"));
    CHILD_CHECK(msg_max > 0 && msgsize_max > 0);
    if (msg_max < kHardMsgMax) {
      struct mq_attr a = QueueAttr(msg_max + 1, 16);
      mqd_t fd = mq_open(n1.c_str(), O_RDWR | O_CREAT | O_EXCL, 0600, &a);
      CHILD_CHECK(fd >= 0);
      CHILD_CHECK_OK(mq_getattr(fd, &a));
      CHILD_CHECK(a.mq_maxmsg == msg_max + 1);
      CHILD_CHECK_OK(mq_unlink(n1.c_str()));
    }
    if (msgsize_max < kHardMsgSizeMax) {
      struct mq_attr a = QueueAttr(1, msgsize_max + 1);
      mqd_t fd = mq_open(n2.c_str(), O_RDWR | O_CREAT | O_EXCL, 0600, &a);
      CHILD_CHECK(fd >= 0);
      CHILD_CHECK_OK(mq_unlink(n2.c_str()));
    }
  });
  mq_unlink(n1.c_str());
  mq_unlink(n2.c_str());
}

// Above 65536 messages or 16 MiB per message is EINVAL for everybody.
TEST(MqOpenTest, AboveHardLimitsEINVAL) {
  ScopedQueueName name;
  EXPECT_CHILD_OK([&] {
    if (HaveCapability(CAP_SYS_RESOURCE)) {
      ChildSetMsgqueueRlimit(RLIM_INFINITY);
    }
    struct mq_attr a = QueueAttr(kHardMsgMax + 1, 1);
    CHILD_CHECK_ERRNO(mq_open(name.c_str(), O_RDWR | O_CREAT, 0600, &a), EINVAL);
    a = QueueAttr(1, kHardMsgSizeMax + 1);
    CHILD_CHECK_ERRNO(mq_open(name.c_str(), O_RDWR | O_CREAT, 0600, &a), EINVAL);
    a = QueueAttr(kHardMsgMax + 1, kHardMsgSizeMax + 1);
    CHILD_CHECK_ERRNO(mq_open(name.c_str(), O_RDWR | O_CREAT, 0600, &a), EINVAL);
    a = QueueAttr(1L << 40, 1);
    CHILD_CHECK_ERRNO(mq_open(name.c_str(), O_RDWR | O_CREAT, 0600, &a), EINVAL);
  });
  mq_unlink(name.c_str());
}

// With CAP_SYS_RESOURCE (and a large RLIMIT_MSGQUEUE) exactly the hard
// limits are accepted.
TEST(MqOpenTest, AtHardLimitsWithCapSysResource) {
  SKIP_WITHOUT_CAPABILITY(CAP_SYS_RESOURCE, "needs CAP_SYS_RESOURCE, which this process lacks");
  ScopedQueueName n1, n2;
  EXPECT_CHILD_OK([&] {
    ChildSetMsgqueueRlimit(RLIM_INFINITY);
    struct mq_attr a = QueueAttr(kHardMsgMax, 1);
    mqd_t fd = mq_open(n1.c_str(), O_RDWR | O_CREAT | O_EXCL, 0600, &a);
    CHILD_CHECK(fd >= 0);
    CHILD_CHECK_OK(mq_getattr(fd, &a));
    CHILD_CHECK(a.mq_maxmsg == kHardMsgMax);
    MaybeSave();  // a queue as deep as Linux allows (empty)
    CHILD_CHECK_OK(mq_getattr(fd, &a));
    CHILD_CHECK(a.mq_maxmsg == kHardMsgMax && a.mq_curmsgs == 0);
    CHILD_CHECK_OK(mq_unlink(n1.c_str()));
    a = QueueAttr(1, kHardMsgSizeMax);
    fd = mq_open(n2.c_str(), O_RDWR | O_CREAT | O_EXCL, 0600, &a);
    CHILD_CHECK(fd >= 0);
    CHILD_CHECK_OK(mq_getattr(fd, &a));
    CHILD_CHECK(a.mq_msgsize == kHardMsgSizeMax);
    CHILD_CHECK_OK(mq_unlink(n2.c_str()));
  });
  mq_unlink(n1.c_str());
  mq_unlink(n2.c_str());
}

// O_ACCMODE == 3 opening an existing queue is EINVAL, O_CREAT or not.
TEST(MqOpenTest, AccessModeThreeOnExistingEINVAL) {
  ScopedMq q = CreateQueue(2, 16);
  ASSERT_TRUE(q.ok()) << strerror(errno);
  EXPECT_ERRNO(mq_open(q.cname(), O_ACCMODE), EINVAL);
  EXPECT_ERRNO(mq_open(q.cname(), O_ACCMODE | O_CREAT, 0600, nullptr), EINVAL);
}

// Linux checks O_ACCMODE == 3 only for an existing queue: O_CREAT|3 on a new
// name creates the queue and returns a descriptor that can neither send nor
// receive (but mq_getattr works).
TEST(MqOpenTest, AccessModeThreeCreatesNewQueue) {
  ScopedQueueName name;
  struct mq_attr a = QueueAttr(2, 16);
  mqd_t fd = mq_open(name.c_str(), O_ACCMODE | O_CREAT | O_EXCL, 0600, &a);
  ASSERT_GE(fd, 0) << strerror(errno);
  ScopedMq q(name, fd);
  MaybeSave();
  ASSERT_EQ(mq_getattr(fd, &a), 0);
  EXPECT_EQ(a.mq_maxmsg, 2);
  EXPECT_ERRNO(mq_send(fd, "x", 1, 0), EBADF);
  char buf[16];
  EXPECT_ERRNO(mq_receive(fd, buf, sizeof(buf), nullptr), EBADF);
  // The queue exists: opening it normally works.
  mqd_t fd2 = mq_open(name.c_str(), O_RDWR);
  EXPECT_GE(fd2, 0) << strerror(errno);
  if (fd2 >= 0) mq_close(fd2);
}

TEST(MqOpenTest, NameOf255CharsWorks) {
  std::string name = "/" + std::string(255, 'q');
  std::string prefix = "mqt" + std::to_string(getpid()) + "_";
  name.replace(1, prefix.size(), prefix);
  ASSERT_EQ(name.size(), 256u);
  mq_unlink(name.c_str());
  struct mq_attr a = QueueAttr(2, 16);
  mqd_t fd = mq_open(name.c_str(), O_RDWR | O_CREAT | O_EXCL, 0600, &a);
  ASSERT_GE(fd, 0) << strerror(errno);
  ScopedMq q(name, fd);
  ASSERT_EQ(mq_send(fd, "hi", 2, 0), 0);
  MaybeSave();
  mqd_t fd2 = mq_open(name.c_str(), O_RDONLY);
  ASSERT_GE(fd2, 0) << strerror(errno);
  char buf[16];
  EXPECT_EQ(mq_receive(fd2, buf, sizeof(buf), nullptr), 2);
  mq_close(fd2);
  q.CloseFd();
  EXPECT_EQ(mq_unlink(name.c_str()), 0) << strerror(errno);
}

TEST(MqOpenTest, NameOf256CharsENAMETOOLONG) {
  std::string name = "/" + std::string(256, 'r');
  EXPECT_ERRNO(mq_open(name.c_str(), O_RDWR | O_CREAT, 0600, nullptr), ENAMETOOLONG);
  errno = 0;
  EXPECT_EQ(mq_open(name.c_str(), O_RDWR), -1);
  EXPECT_EQ(errno, ENAMETOOLONG);  // before ENOENT
  EXPECT_ERRNO(mq_unlink(name.c_str()), ENAMETOOLONG);
  // Far beyond PATH_MAX too.
  std::string huge = "/" + std::string(5000, 's');
  EXPECT_ERRNO(mq_open(huge.c_str(), O_RDWR | O_CREAT, 0600, nullptr), ENAMETOOLONG);
}

// A '/' inside an over-long name is refused with EACCES first.
TEST(MqOpenTest, InteriorSlashBeforeENAMETOOLONG) {
  std::string name = "/" + std::string(300, 't');
  name[10] = '/';
  EXPECT_ERRNO(mq_open(name.c_str(), O_RDWR | O_CREAT, 0600, nullptr), EACCES);
}

TEST(MqOpenTest, MissingQueueENOENT) {
  ScopedQueueName name;
  EXPECT_ERRNO(mq_open(name.c_str(), O_RDWR), ENOENT);
  EXPECT_ERRNO(mq_open(name.c_str(), O_RDONLY | O_EXCL), ENOENT);
}

TEST(MqOpenTest, SlashAloneENOENT) {
  EXPECT_ERRNO(mq_open("/", O_RDWR), ENOENT);
  EXPECT_ERRNO(mq_open("/", O_RDWR | O_CREAT, 0600, nullptr), ENOENT);
}

TEST(MqOpenTest, BadPointersEFAULT) {
  errno = 0;
  EXPECT_EQ(syscall(SYS_mq_open, reinterpret_cast<char*>(1), O_RDWR | O_CREAT,
                    0600, nullptr),
            -1);
  EXPECT_EQ(errno, EFAULT);
  ScopedQueueName name;
  errno = 0;
  EXPECT_EQ(syscall(SYS_mq_open, name.c_str() + 1, O_RDWR | O_CREAT, 0600,
                    reinterpret_cast<void*>(1)),
            -1);
  EXPECT_EQ(errno, EFAULT);
  EXPECT_ERRNO(mq_open(name.c_str(), O_RDWR), ENOENT);
}

// Linux's mq_open copies the attr in whenever the pointer is non-NULL, before
// anything else and whether or not O_CREAT is given: a bad pointer is EFAULT
// even when opening an existing queue (or a missing one without O_CREAT),
// while a readable attr without O_CREAT is ignored, however invalid. (glibc
// passes attr only with O_CREAT, hence the raw syscall.)
TEST(MqOpenTest, AttrReadWithoutCreate) {
  ScopedMq q = CreateQueue(3, 32);
  ASSERT_TRUE(q.ok()) << strerror(errno);
  MaybeSave();
  for (int flags : {O_RDONLY, O_WRONLY, O_RDWR, O_RDWR | O_NONBLOCK}) {
    errno = 0;
    EXPECT_EQ(syscall(SYS_mq_open, q.cname() + 1, flags, 0,
                      reinterpret_cast<void*>(1)),
              -1)
        << "flags " << flags;
    EXPECT_EQ(errno, EFAULT) << "flags " << flags;
  }
  ScopedQueueName missing;
  errno = 0;
  EXPECT_EQ(syscall(SYS_mq_open, missing.c_str() + 1, O_RDONLY, 0,
                    reinterpret_cast<void*>(1)),
            -1);
  EXPECT_EQ(errno, EFAULT);

  struct mq_attr bad = QueueAttr(0, -1);
  long fd = syscall(SYS_mq_open, q.cname() + 1, O_RDONLY, 0, &bad);
  ASSERT_GE(fd, 0) << strerror(errno);
  struct mq_attr a = {};
  ASSERT_EQ(mq_getattr(fd, &a), 0) << strerror(errno);
  EXPECT_EQ(a.mq_maxmsg, 3);
  EXPECT_EQ(a.mq_msgsize, 32);
  mq_close(fd);
}

// mq_open hands its flags to the open file as open(2) would: status flags
// show in F_GETFL, and O_DIRECT, which a queue file cannot do, fails only
// after the queue was created.
TEST(MqOpenTest, OpenFlagsReachTheDescription) {
  ScopedQueueName name;
  struct mq_attr attr = QueueAttr(2, 16);
  int fd = mq_open(name.c_str(), O_RDWR | O_CREAT | O_APPEND | O_NOATIME,
                   0600, &attr);
  ASSERT_GE(fd, 0) << strerror(errno);
  MaybeSave();
  int fl = fcntl(fd, F_GETFL);
  EXPECT_EQ(fl & (O_ACCMODE | O_APPEND | O_NOATIME),
            O_RDWR | O_APPEND | O_NOATIME);
  EXPECT_EQ(fl & O_NONBLOCK, 0);
  mq_close(fd);

  ScopedQueueName direct;
  EXPECT_ERRNO(mq_open(direct.c_str(), O_RDWR | O_CREAT | O_DIRECT, 0600,
                       &attr),
               EINVAL);
  MaybeSave();
  fd = mq_open(direct.c_str(), O_RDWR);
  EXPECT_GE(fd, 0) << "O_DIRECT did not leave the queue created: "
                   << strerror(errno);
  if (fd >= 0) mq_close(fd);
}

// The descriptor is allocated before the name is looked up: with no free
// descriptor, mq_open fails with EMFILE even for a missing queue.
TEST(MqOpenTest, NoFreeDescriptorEMFILE) {
  ScopedMq q = CreateQueue(2, 16);
  ASSERT_TRUE(q.ok()) << strerror(errno);
  std::string name = q.name();
  ScopedQueueName missing;
  EXPECT_CHILD_OK([&] {
    int probe = open("/dev/null", O_RDONLY);
    CHILD_CHECK(probe >= 0);
    close(probe);
    struct rlimit rl = {(rlim_t)probe, (rlim_t)probe};
    CHILD_CHECK_OK(setrlimit(RLIMIT_NOFILE, &rl));
    MaybeSave();  // the table stays full, the limit stays low
    CHILD_CHECK_ERRNO(mq_open(name.c_str(), O_RDWR), EMFILE);
    CHILD_CHECK_ERRNO(mq_open(missing.c_str(), O_RDWR), EMFILE);
    CHILD_CHECK_ERRNO(mq_open(missing.c_str(), O_RDWR | O_CREAT, 0600, nullptr),
                      EMFILE);
  });
  EXPECT_ERRNO(mq_open(missing.c_str(), O_RDWR), ENOENT);
}

// RLIMIT_MSGQUEUE is charged per user when a queue is created (roughly
// maxmsg * msgsize plus overhead); exceeding it is EMFILE. The charge is
// returned when the queue is gone (unlinked and closed).
TEST(MqOpenTest, RlimitMsgqueueEMFILE) {
  ScopedQueueName n1, n2, n3;
  uid_t uid = OwnRlimitUid();
  EXPECT_CHILD_OK([&] {
    struct mq_attr a;
    mqd_t fd1 = ChildCreateRlimitFillingQueue(uid, n1, &a);
    MaybeSave();  // the charge is kept
    CHILD_CHECK_ERRNO(mq_open(n2.c_str(), O_RDWR | O_CREAT | O_EXCL, 0600, &a),
                      EMFILE);
    // Too big on its own.
    struct mq_attr big = QueueAttr(2, 6000);
    CHILD_CHECK_ERRNO(
        mq_open(n2.c_str(), O_RDWR | O_CREAT | O_EXCL, 0600, &big), EMFILE);
    // Small enough to fit beside the first.
    struct mq_attr small = QueueAttr(1, 1000);
    mqd_t fd3 = mq_open(n3.c_str(), O_RDWR | O_CREAT | O_EXCL, 0600, &small);
    CHILD_CHECK(fd3 >= 0);
    // Opening an existing queue is not charged.
    mqd_t again = mq_open(n1.c_str(), O_RDWR);
    CHILD_CHECK(again >= 0);
    CHILD_CHECK_OK(mq_close(again));
    // Unlinked but still open: still charged.
    CHILD_CHECK_OK(mq_unlink(n1.c_str()));
    MaybeSave();
    CHILD_CHECK_ERRNO(mq_open(n2.c_str(), O_RDWR | O_CREAT | O_EXCL, 0600, &a),
                      EMFILE);
    // Gone: the charge is returned.
    CHILD_CHECK_OK(mq_close(fd1));
    mqd_t fd2 = mq_open(n2.c_str(), O_RDWR | O_CREAT | O_EXCL, 0600, &a);
    CHILD_CHECK(fd2 >= 0);
    CHILD_CHECK_OK(mq_unlink(n2.c_str()));
    CHILD_CHECK_OK(mq_unlink(n3.c_str()));
  });
  mq_unlink(n1.c_str());
  mq_unlink(n2.c_str());
  mq_unlink(n3.c_str());
}

// queues_max bounds the number of queues in an IPC namespace for a caller
// without CAP_SYS_RESOURCE. Done in a fresh IPC namespace.
TEST(MqOpenTest, QueuesMaxENOSPC) {
  ScopedQueueName n1, n2, n3;
  ASSERT_CHILD_OK_OR_SKIP([&] {
    ChildUnshareIpcOrSkip();
    ChildWriteSysctlOrSkip("queues_max", 2);
    CHILD_CHECK(ReadLongFile(MqSysctl("queues_max")) == 2);
    CHILD_CHECK(DropCapability(CAP_SYS_RESOURCE));
    struct mq_attr a = QueueAttr(2, 16);
    mqd_t fd1 = mq_open(n1.c_str(), O_RDWR | O_CREAT | O_EXCL, 0600, &a);
    CHILD_CHECK(fd1 >= 0);
    mqd_t fd2 = mq_open(n2.c_str(), O_RDWR | O_CREAT | O_EXCL, 0600, &a);
    CHILD_CHECK(fd2 >= 0);
    MaybeSave();  // the namespace's queue count and limit are kept
    CHILD_CHECK_ERRNO(mq_open(n3.c_str(), O_RDWR | O_CREAT | O_EXCL, 0600, &a),
                      ENOSPC);
    CHILD_CHECK_ERRNO(mq_open(n3.c_str(), O_RDWR | O_CREAT, 0600, nullptr),
                      ENOSPC);
    // Existing queues can still be opened, with or without O_CREAT.
    mqd_t o = mq_open(n1.c_str(), O_RDWR);
    CHILD_CHECK(o >= 0);
    CHILD_CHECK_OK(mq_close(o));
    o = mq_open(n1.c_str(), O_RDWR | O_CREAT, 0600, &a);
    CHILD_CHECK(o >= 0);
    CHILD_CHECK_OK(mq_close(o));
    // A queue is counted until it is gone: unlinked but open still counts.
    CHILD_CHECK_OK(mq_unlink(n1.c_str()));
    CHILD_CHECK_ERRNO(mq_open(n3.c_str(), O_RDWR | O_CREAT | O_EXCL, 0600, &a),
                      ENOSPC);
    CHILD_CHECK_OK(mq_close(fd1));
    mqd_t fd3 = mq_open(n3.c_str(), O_RDWR | O_CREAT | O_EXCL, 0600, &a);
    CHILD_CHECK(fd3 >= 0);
  });
}

// Linux checks queues_max before the attributes of the new queue.
TEST(MqOpenTest, QueuesMaxCheckedBeforeAttr) {
  ScopedQueueName n1, n2;
  ASSERT_CHILD_OK_OR_SKIP([&] {
    ChildUnshareIpcOrSkip();
    ChildWriteSysctlOrSkip("queues_max", 1);
    CHILD_CHECK(DropCapability(CAP_SYS_RESOURCE));
    mqd_t fd1 = mq_open(n1.c_str(), O_RDWR | O_CREAT | O_EXCL, 0600, nullptr);
    CHILD_CHECK(fd1 >= 0);
    struct mq_attr bad = QueueAttr(0, 0);
    CHILD_CHECK_ERRNO(mq_open(n2.c_str(), O_RDWR | O_CREAT, 0600, &bad), ENOSPC);
  });
}

TEST(MqOpenTest, QueuesMaxDoesNotBindCapSysResource) {
  SKIP_WITHOUT_CAPABILITY(CAP_SYS_RESOURCE, "needs CAP_SYS_RESOURCE, which this process lacks");
  ScopedQueueName n1, n2;
  ASSERT_CHILD_OK_OR_SKIP([&] {
    ChildUnshareIpcOrSkip();
    ChildWriteSysctlOrSkip("queues_max", 1);
    mqd_t fd1 = mq_open(n1.c_str(), O_RDWR | O_CREAT | O_EXCL, 0600, nullptr);
    CHILD_CHECK(fd1 >= 0);
    mqd_t fd2 = mq_open(n2.c_str(), O_RDWR | O_CREAT | O_EXCL, 0600, nullptr);
    CHILD_CHECK(fd2 >= 0);
  });
}

TEST(MqOpenTest, UmaskAppliedToMode) {
  mode_t old = umask(022);
  ScopedMq q1 = CreateQueue(2, 16, O_RDWR, 0666);
  umask(0077);
  ScopedMq q2 = CreateQueue(2, 16, O_RDWR, 0666);
  umask(0);
  ScopedMq q3 = CreateQueue(2, 16, O_RDWR, 0666);
  umask(old);
  ASSERT_TRUE(q1.ok() && q2.ok() && q3.ok()) << strerror(errno);
  MaybeSave();
  struct stat st;
  ASSERT_EQ(fstat(q1.fd(), &st), 0) << strerror(errno);
  EXPECT_TRUE(S_ISREG(st.st_mode));
  EXPECT_EQ(st.st_mode & 07777, 0644u);
  ASSERT_EQ(fstat(q2.fd(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 0600u);
  ASSERT_EQ(fstat(q3.fd(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 0666u);
}

// Only the permission bits of mode are used.
TEST(MqOpenTest, ModeKeepsOnlyPermissionBits) {
  mode_t old = umask(0);
  ScopedMq q = CreateQueue(2, 16, O_RDWR, S_IFDIR | 04755);
  umask(old);
  ASSERT_TRUE(q.ok()) << strerror(errno);
  MaybeSave();
  struct stat st;
  ASSERT_EQ(fstat(q.fd(), &st), 0);
  EXPECT_TRUE(S_ISREG(st.st_mode));
  EXPECT_EQ(st.st_mode & 0777, 0755u);
}

TEST(MqOpenTest, OwnerIsCreatorsEffectiveIds) {
  ScopedQueueName name;
  EXPECT_CHILD_OK([&] {
    CHILD_CHECK(BecomeUser(kNobody, kNogroup));
    mqd_t fd = mq_open(name.c_str(), O_RDWR | O_CREAT | O_EXCL, 0600, nullptr);
    CHILD_CHECK(fd >= 0);
    MaybeSave();
    struct stat st;
    CHILD_CHECK_OK(fstat(fd, &st));
    CHILD_CHECK(st.st_uid == kNobody);
    CHILD_CHECK(st.st_gid == kNogroup);
    CHILD_CHECK_OK(mq_unlink(name.c_str()));
  });
  mq_unlink(name.c_str());
}

TEST(MqOpenTest, DescriptorIsCloseOnExec) {
  ScopedMq q = CreateQueue(2, 16);
  ASSERT_TRUE(q.ok()) << strerror(errno);
  MaybeSave();
  int flags = fcntl(q.fd(), F_GETFD);
  ASSERT_GE(flags, 0) << strerror(errno);
  EXPECT_EQ(flags & FD_CLOEXEC, FD_CLOEXEC);
  mqd_t fd2 = mq_open(q.cname(), O_RDONLY);
  ASSERT_GE(fd2, 0);
  EXPECT_EQ(fcntl(fd2, F_GETFD) & FD_CLOEXEC, FD_CLOEXEC);
  mq_close(fd2);
  // The file status flags hold the access mode.
  EXPECT_EQ(fcntl(q.fd(), F_GETFL) & O_ACCMODE, O_RDWR);
}

}  // namespace
}  // namespace mqtest
