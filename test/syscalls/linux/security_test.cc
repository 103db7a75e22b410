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

// Security tests: what an unprivileged program (uid/gid 65534, no
// capabilities) can and cannot do to message queues and with kcmp(2).
//
// Every case forks; the child drops to nobody (test_util.h BecomeUser, which
// clears every capability) and reports through CHILD_CHECK*. The cases need
// root to start with (they skip otherwise) and pass natively and under
// runsc, except the MqsentryOnly ones (fcntl(F_MQ_PEEK) is not in Linux).
//
//   - POSIX and SysV queues of another user: EACCES for every access the
//     mode does not grant, EPERM for IPC_SET/IPC_RMID, nothing changed.
//   - Queues of other IPC namespaces are unreachable by name, key or id,
//     both ways, and an unprivileged process cannot make a new IPC namespace
//     (only inside a new user namespace, where the parent's queues are
//     unreachable too).
//   - A program that tries to exhaust memory with queues is stopped by
//     RLIMIT_MSGQUEUE, queues_max, the geometry limits, msgmni and qbytes,
//     within a bounded number of attempts.
//   - kcmp needs ptrace-read rights on both tasks (different uid,
//     non-dumpable target, target with capabilities the caller lacks), and
//     its answers over many objects form one total order that does not
//     follow the order in which the objects (and processes) were created.
//   - fcntl(F_MQ_PEEK) needs a descriptor open for reading.
//   - mount(2) of mqueue needs CAP_SYS_ADMIN over the owner of the
//     mounter's IPC namespace: the root of a new user and mount namespace
//     cannot mount, and so list or open, the queues of an IPC namespace it
//     does not own.
//   - In a new user and IPC namespace, its root (nobody outside) may write
//     the namespace's IPC sysctls, and without a uid_map nobody can create
//     a queue there (EOVERFLOW).
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <math.h>
#include <mqueue.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ipc.h>
#include <sys/mount.h>
#include <sys/msg.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "kcmp_util.h"
#include "test_util.h"

namespace {

using ::mqtest::BecomeUser;
using ::mqtest::CheckTotalOrder;
using ::mqtest::ChildEnterOwnIpcNamespaceAsItsRoot;
using ::mqtest::ChildEnterOwnNamespacesAsTheirRoot;
using ::mqtest::ChildMapNobodyTo;
using ::mqtest::F_MQ_PEEK;
using ::mqtest::HaveKcmp;
using ::mqtest::Kcmp;
using ::mqtest::KCMP_FILE;
using ::mqtest::KCMP_FILES;
using ::mqtest::KCMP_FS;
using ::mqtest::KCMP_SIGHAND;
using ::mqtest::KCMP_VM;
using ::mqtest::kNobody;
using ::mqtest::kNogroup;
using ::mqtest::mq_peek_attr;
using ::mqtest::QueueAttr;
using ::mqtest::ScopedQueueName;
using ::mqtest::WriteProcFile;

// Drops to nobody in a forked child, or fails the child.
#define CHILD_BECOME_NOBODY() CHILD_CHECK(BecomeUser(kNobody, kNogroup))

// A SysV key of this process's own: no other test uses it.
key_t OwnKey(int n) { return (key_t)(0x5ec00000 | ((getpid() & 0xffff) << 4) | n); }

// Clears the umask for a test, so that queues get exactly the mode asked
// for.
class ScopedUmask {
 public:
  ScopedUmask() : old_(umask(0)) {}
  ~ScopedUmask() { umask(old_); }

 private:
  mode_t old_;
};

// Removes a SysV queue when it goes out of scope.
class ScopedMsq {
 public:
  explicit ScopedMsq(int id) : id_(id) {}
  ~ScopedMsq() {
    if (id_ >= 0) msgctl(id_, IPC_RMID, nullptr);
  }
  int id() const { return id_; }

 private:
  int id_;
};

struct Msg {
  long mtype;
  char mtext[64];
};

// A SysV message of type 1 with 1000 bytes of c.
struct BigMsg {
  explicit BigMsg(char c) : mtype(1) { memset(mtext, c, sizeof(mtext)); }
  long mtype;
  char mtext[1000];
};

// Creates the POSIX queue name (4 messages of 32 bytes) with mode.
mqd_t CreateNamedQueue(const std::string& name, mode_t mode) {
  struct mq_attr a = QueueAttr(4, 32);
  return mq_open(name.c_str(), O_RDWR | O_CREAT | O_EXCL, mode, &a);
}

// ---------------------------------------------------------------------------
// POSIX queues of another user.

TEST(SecurityTest, PosixQueueOfOtherUserEACCES) {
  SKIP_UNLESS_ROOT();
  ScopedUmask no_umask;
  ScopedQueueName name;
  struct mq_attr a = QueueAttr(4, 32);
  mqd_t q = mq_open(name.c_str(), O_RDWR | O_CREAT | O_EXCL, 0600, &a);
  ASSERT_GE(q, 0) << strerror(errno);
  ASSERT_EQ(mq_send(q, "secret", 6, 3), 0);
  EXPECT_CHILD_OK([&] {
    CHILD_BECOME_NOBODY();
    for (int acc : {O_RDONLY, O_WRONLY, O_RDWR}) {
      CHILD_CHECK_ERRNO(mq_open(name.c_str(), acc), EACCES);
      CHILD_CHECK_ERRNO(mq_open(name.c_str(), acc | O_NONBLOCK), EACCES);
      // O_CREAT on an existing queue is an open.
      CHILD_CHECK_ERRNO(mq_open(name.c_str(), acc | O_CREAT, 0666, &a), EACCES);
      // O_EXCL says it exists, whatever the rights.
      CHILD_CHECK_ERRNO(mq_open(name.c_str(), acc | O_CREAT | O_EXCL, 0666, &a), EEXIST);
    }
    CHILD_CHECK_ERRNO(mq_unlink(name.c_str()), EACCES);
  });
  // Nothing changed: the queue is there with its message.
  struct mq_attr got;
  ASSERT_EQ(mq_getattr(q, &got), 0);
  EXPECT_EQ(got.mq_curmsgs, 1);
  char buf[32];
  unsigned prio = 0;
  EXPECT_EQ(mq_receive(q, buf, sizeof(buf), &prio), 6);
  EXPECT_EQ(prio, 3u);
  mq_close(q);
}

// The other-class bits decide each access mode separately, and a
// descriptor only allows what it was opened for.
TEST(SecurityTest, PosixModeBitsPerAccessMode) {
  SKIP_UNLESS_ROOT();
  ScopedUmask no_umask;
  ScopedQueueName readable, writable;
  mqd_t r = CreateNamedQueue(readable, 0604);
  mqd_t w = CreateNamedQueue(writable, 0602);
  ASSERT_GE(r, 0);
  ASSERT_GE(w, 0);
  ASSERT_EQ(mq_send(r, "for you", 7, 1), 0);
  EXPECT_CHILD_OK([&] {
    CHILD_BECOME_NOBODY();
    char buf[32];
    CHILD_CHECK_ERRNO(mq_open(readable.c_str(), O_WRONLY), EACCES);
    CHILD_CHECK_ERRNO(mq_open(readable.c_str(), O_RDWR), EACCES);
    mqd_t rd = mq_open(readable.c_str(), O_RDONLY | O_NONBLOCK);
    CHILD_CHECK(rd >= 0);
    CHILD_CHECK_ERRNO(mq_send(rd, "x", 1, 0), EBADF);
    CHILD_CHECK(mq_receive(rd, buf, sizeof(buf), nullptr) == 7);
    struct mq_attr na = QueueAttr(0, 0);
    CHILD_CHECK_OK(mq_setattr(rd, &na, nullptr));  // only O_NONBLOCK changes

    CHILD_CHECK_ERRNO(mq_open(writable.c_str(), O_RDONLY), EACCES);
    CHILD_CHECK_ERRNO(mq_open(writable.c_str(), O_RDWR), EACCES);
    mqd_t wr = mq_open(writable.c_str(), O_WRONLY | O_NONBLOCK);
    CHILD_CHECK(wr >= 0);
    CHILD_CHECK_OK(mq_send(wr, "from nobody", 11, 2));
    CHILD_CHECK_ERRNO(mq_receive(wr, buf, sizeof(buf), nullptr), EBADF);
    // Neither can be removed by a stranger.
    CHILD_CHECK_ERRNO(mq_unlink(readable.c_str()), EACCES);
    CHILD_CHECK_ERRNO(mq_unlink(writable.c_str()), EACCES);
  });
  struct mq_attr got;
  ASSERT_EQ(mq_getattr(w, &got), 0);
  EXPECT_EQ(got.mq_curmsgs, 1);
  mq_close(r);
  mq_close(w);
}

// Without CAP_SYS_RESOURCE the geometry is bounded by msg_max and
// msgsize_max; nobody reaches the hard limits.
TEST(SecurityTest, PosixGeometryAboveSysctlLimitsEINVAL) {
  SKIP_UNLESS_ROOT();
  ScopedQueueName name;
  long msg_max = ::mqtest::ReadLongFile(::mqtest::MqSysctl("msg_max"));
  long msgsize_max = ::mqtest::ReadLongFile(::mqtest::MqSysctl("msgsize_max"));
  ASSERT_GT(msg_max, 0);
  ASSERT_GT(msgsize_max, 0);
  EXPECT_CHILD_OK([&] {
    CHILD_BECOME_NOBODY();
    struct mq_attr a = QueueAttr(msg_max + 1, 1);
    CHILD_CHECK_ERRNO(mq_open(name.c_str(), O_RDWR | O_CREAT | O_EXCL, 0600, &a), EINVAL);
    a = QueueAttr(1, msgsize_max + 1);
    CHILD_CHECK_ERRNO(mq_open(name.c_str(), O_RDWR | O_CREAT | O_EXCL, 0600, &a), EINVAL);
    a = QueueAttr(65536, 16 << 20);
    CHILD_CHECK_ERRNO(mq_open(name.c_str(), O_RDWR | O_CREAT | O_EXCL, 0600, &a), EINVAL);
    a = QueueAttr(LONG_MAX, LONG_MAX);
    CHILD_CHECK_ERRNO(mq_open(name.c_str(), O_RDWR | O_CREAT | O_EXCL, 0600, &a), EINVAL);
    // Nor may nobody raise the limits.
    CHILD_CHECK(::mqtest::WriteLongFile(::mqtest::MqSysctl("msg_max"), 65536) != 0);
    CHILD_CHECK(::mqtest::WriteLongFile(::mqtest::MqSysctl("queues_max"), 1 << 20) != 0);
  });
}

// A program that creates queues until it fails is stopped by
// RLIMIT_MSGQUEUE (EMFILE) before it is charged more than its limit, and
// gets the charge back when its queues are gone.
TEST(SecurityTest, RlimitMsgqueueStopsQueueExhaustion) {
  SKIP_UNLESS_ROOT();
  constexpr long kLimit = 200000;
  constexpr long kMaxMsg = 10, kMsgSize = 1024;
  // Linux's charge: payload, one msg_msg (48 bytes) per message and one
  // tree node (48 bytes) per possible priority.
  constexpr long kCost = kMaxMsg * kMsgSize + kMaxMsg * 48 + kMaxMsg * 48;
  constexpr long kExpected = kLimit / kCost;  // 17
  constexpr int kAttempts = 1000;              // the bound of the loop
  std::string prefix = ::mqtest::UniqueQueueName();
  EXPECT_CHILD_OK([&] {
    CHILD_BECOME_NOBODY();
    struct rlimit rl = {kLimit, kLimit};
    CHILD_CHECK_OK(setrlimit(RLIMIT_MSGQUEUE, &rl));
    // Raising it again is refused without CAP_SYS_RESOURCE.
    struct rlimit more = {kLimit * 10, kLimit * 10};
    CHILD_CHECK_ERRNO(setrlimit(RLIMIT_MSGQUEUE, &more), EPERM);
    struct mq_attr a = QueueAttr(kMaxMsg, kMsgSize);
    std::vector<std::string> made;
    int err = 0;
    for (int i = 0; i < kAttempts; i++) {
      std::string n = prefix + "_" + std::to_string(i);
      mqd_t fd = mq_open(n.c_str(), O_WRONLY | O_CREAT | O_EXCL, 0600, &a);
      if (fd < 0) {
        err = errno;
        break;
      }
      mq_close(fd);  // closed, but the queue (and its charge) stays
      made.push_back(n);
    }
    fprintf(stderr, "created %zu queues of %ld bytes under a %ld-byte limit\n", made.size(), kCost, kLimit);
    if (err != EMFILE) CHILD_FAIL("loop ended with errno %d after %zu queues", err, made.size());
    // Never more than the limit allows; other queues of nobody (other
    // tests running at the same time natively) may leave less room.
    CHILD_CHECK((long)made.size() <= kExpected);
    CHILD_CHECK((long)made.size() >= 1);
    // Bigger queues fail too; smaller ones that fit succeed.
    std::string extra = prefix + "_extra";
    CHILD_CHECK_ERRNO(mq_open(extra.c_str(), O_WRONLY | O_CREAT | O_EXCL, 0600, &a), EMFILE);
    // The charge comes back when the queues are gone.
    for (const auto& n : made) CHILD_CHECK_OK(mq_unlink(n.c_str()));
    mqd_t fd = mq_open(extra.c_str(), O_WRONLY | O_CREAT | O_EXCL, 0600, &a);
    CHILD_CHECK(fd >= 0);
    CHILD_CHECK_OK(mq_unlink(extra.c_str()));
  });
  for (int i = 0; i <= kAttempts; i++) mq_unlink((prefix + "_" + std::to_string(i)).c_str());
  mq_unlink((prefix + "_extra").c_str());
}

// RLIMIT_MSGQUEUE counts a user's queues in every IPC namespace: entering a
// new one (with a new user namespace, as an unprivileged program can) gives
// no fresh allowance, and the new user namespace's capabilities exempt it
// from neither the limit nor msg_max.
TEST(SecurityTest, RlimitMsgqueueSpansIpcNamespaces) {
  SKIP_UNLESS_ROOT();
  constexpr long kLimit = 100000;
  struct mq_attr a = QueueAttr(10, 8000);  // ~81 KB of the 100 KB allowance
  ScopedQueueName outer;
  ASSERT_CHILD_OK_OR_SKIP([&] {
    CHILD_BECOME_NOBODY();
    struct rlimit rl = {kLimit, kLimit};
    CHILD_CHECK_OK(setrlimit(RLIMIT_MSGQUEUE, &rl));
    mqd_t q = mq_open(outer.c_str(), O_RDWR | O_CREAT | O_EXCL, 0600, &a);
    CHILD_CHECK(q >= 0);
    if (unshare(CLONE_NEWUSER | CLONE_NEWIPC) != 0) CHILD_SKIP("unprivileged user namespaces are disabled");
    // Map nobody to itself, or the new namespace's mqueue filesystem
    // cannot own what it creates (EOVERFLOW).
    ChildMapNobodyTo("65534");
    CHILD_CHECK_ERRNO(mq_open("/inner", O_RDWR | O_CREAT | O_EXCL, 0600, &a), EMFILE);
    struct mq_attr big = QueueAttr(11, 16);  // above msg_max (10)
    CHILD_CHECK_ERRNO(mq_open("/inner", O_RDWR | O_CREAT | O_EXCL, 0600, &big), EINVAL);
    // What is left of the allowance still serves.
    struct mq_attr small = QueueAttr(2, 1000);
    mqd_t inner = mq_open("/inner", O_RDWR | O_CREAT | O_EXCL, 0600, &small);
    CHILD_CHECK(inner >= 0);
    CHILD_CHECK_OK(mq_unlink("/inner"));
  });
}

// queues_max stops an unprivileged program creating queues (ENOSPC), in a
// fresh IPC namespace whose count starts at 0; root (CAP_SYS_RESOURCE) is
// not bound by it.
TEST(SecurityTest, QueuesMaxStopsQueueExhaustion) {
  SKIP_UNLESS_ROOT();
  constexpr int kQueuesMax = 8;
  constexpr int kAttempts = 1000;
  EXPECT_CHILD_OK([&] {
    if (unshare(CLONE_NEWIPC) != 0) CHILD_SKIP("no CLONE_NEWIPC");
    CHILD_CHECK(::mqtest::WriteLongFile(::mqtest::MqSysctl("queues_max"), kQueuesMax) == 0);
    CHILD_CHECK(::mqtest::ReadLongFile(::mqtest::MqSysctl("queues_max")) == kQueuesMax);
    // The unprivileged worker runs in a child of its own, so that this
    // (root) process can check what it left.
    int st = ::mqtest::RunInChild([&] {
      CHILD_BECOME_NOBODY();
      struct mq_attr a = QueueAttr(1, 16);
      int made = 0, err = 0;
      for (int i = 0; i < kAttempts; i++) {
        std::string n = "/secqmax_" + std::to_string(i);
        mqd_t fd = mq_open(n.c_str(), O_RDWR | O_CREAT | O_EXCL, 0600, &a);
        if (fd < 0) {
          err = errno;
          break;
        }
        mq_close(fd);
        made++;
      }
      if (err != ENOSPC || made != kQueuesMax)
        CHILD_FAIL("made %d queues, then errno %d; want %d then ENOSPC", made, err, kQueuesMax);
      // Opening an existing queue is not a creation.
      mqd_t fd = mq_open("/secqmax_0", O_RDWR);
      CHILD_CHECK(fd >= 0);
      // Nobody can raise queues_max.
      CHILD_CHECK(::mqtest::WriteLongFile(::mqtest::MqSysctl("queues_max"), 1000) != 0);
      // Removing one makes room for one.
      CHILD_CHECK_OK(mq_unlink("/secqmax_1"));
      mqd_t again = mq_open("/secqmax_1", O_RDWR | O_CREAT | O_EXCL, 0600, &a);
      CHILD_CHECK(again >= 0);
      CHILD_CHECK_ERRNO(mq_open("/secqmax_x", O_RDWR | O_CREAT | O_EXCL, 0600, &a), ENOSPC);
    });
    CHILD_CHECK(::mqtest::ChildOK(st));
    // CAP_SYS_RESOURCE lifts queues_max (root may lack it, e.g. in a
    // container).
    struct mq_attr a = QueueAttr(1, 16);
    if (::mqtest::HaveCapability(CAP_SYS_RESOURCE)) {
      mqd_t fd = mq_open("/secqmax_root", O_RDWR | O_CREAT | O_EXCL, 0600, &a);
      CHILD_CHECK(fd >= 0);
    } else {
      CHILD_CHECK_ERRNO(mq_open("/secqmax_root", O_RDWR | O_CREAT | O_EXCL, 0600, &a), ENOSPC);
    }
  });
}

// ---------------------------------------------------------------------------
// System V queues of another user.

TEST(SecurityTest, SysvQueueOfOtherUserEACCES) {
  SKIP_UNLESS_ROOT();
  key_t key = OwnKey(1);
  ScopedMsq q(msgget(key, IPC_CREAT | IPC_EXCL | 0600));
  ASSERT_GE(q.id(), 0) << strerror(errno);
  Msg m = {7, "secret"};
  ASSERT_EQ(msgsnd(q.id(), &m, 6, IPC_NOWAIT), 0);
  int id = q.id();
  EXPECT_CHILD_OK([&] {
    CHILD_BECOME_NOBODY();
    // msgget asks for the access its flag's mode bits name: none is fine,
    // anything else is refused.
    CHILD_CHECK(msgget(key, 0) == id);
    CHILD_CHECK_ERRNO(msgget(key, 0400), EACCES);
    CHILD_CHECK_ERRNO(msgget(key, 0200), EACCES);
    CHILD_CHECK_ERRNO(msgget(key, IPC_CREAT | 0600), EACCES);
    CHILD_CHECK_ERRNO(msgget(key, IPC_CREAT | IPC_EXCL | 0600), EEXIST);
    Msg out = {1, "intruder"};
    CHILD_CHECK_ERRNO(msgsnd(id, &out, 8, IPC_NOWAIT), EACCES);
    Msg in = {};
    CHILD_CHECK_ERRNO(msgrcv(id, &in, sizeof(in.mtext), 0, IPC_NOWAIT), EACCES);
    CHILD_CHECK_ERRNO(msgrcv(id, &in, sizeof(in.mtext), 0, IPC_NOWAIT | MSG_COPY), EACCES);
    CHILD_CHECK_ERRNO(msgrcv(id, &in, sizeof(in.mtext), 7, IPC_NOWAIT | MSG_NOERROR), EACCES);
    struct msqid_ds ds = {};
    CHILD_CHECK_ERRNO(msgctl(id, IPC_STAT, &ds), EACCES);
    CHILD_CHECK_ERRNO(msgctl(id, IPC_SET, &ds), EPERM);
    CHILD_CHECK_ERRNO(msgctl(id, IPC_RMID, nullptr), EPERM);
    // MSG_STAT checks read permission; MSG_STAT_ANY (what ipcs uses) does
    // not, and shows only metadata.
    struct msginfo info;
    int maxidx = msgctl(0, MSG_INFO, (struct msqid_ds*)&info);
    CHILD_CHECK(maxidx >= 0);
    bool seen = false;
    for (int i = 0; i <= maxidx; i++) {
      errno = 0;
      int r = msgctl(i, MSG_STAT, &ds);
      if (r == id) CHILD_FAIL("MSG_STAT of index %d gave the queue to nobody", i);
      r = msgctl(i, MSG_STAT_ANY, &ds);
      if (r == id) {
        seen = true;
        CHILD_CHECK(ds.msg_qnum == 1 && ds.msg_perm.uid == 0 && (ds.msg_perm.mode & 0777) == 0600);
      }
    }
    CHILD_CHECK(seen);
  });
  // Untouched.
  struct msqid_ds ds = {};
  ASSERT_EQ(msgctl(id, IPC_STAT, &ds), 0);
  EXPECT_EQ(ds.msg_qnum, 1u);
  EXPECT_EQ(ds.msg_perm.mode & 0777, 0600);
  EXPECT_EQ(ds.msg_perm.uid, 0u);
  Msg in = {};
  EXPECT_EQ(msgrcv(id, &in, sizeof(in.mtext), 0, IPC_NOWAIT), 6);
}

// Each operation needs its own bit of the class that applies.
TEST(SecurityTest, SysvModeBitsPerOperation) {
  SKIP_UNLESS_ROOT();
  ScopedMsq readable(msgget(IPC_PRIVATE, 0604));
  ScopedMsq writable(msgget(IPC_PRIVATE, 0602));
  ASSERT_GE(readable.id(), 0);
  ASSERT_GE(writable.id(), 0);
  Msg m = {3, "public"};
  ASSERT_EQ(msgsnd(readable.id(), &m, 6, IPC_NOWAIT), 0);
  int r = readable.id(), w = writable.id();
  EXPECT_CHILD_OK([&] {
    CHILD_BECOME_NOBODY();
    Msg in = {}, out = {1, "x"};
    struct msqid_ds ds;
    CHILD_CHECK_ERRNO(msgsnd(r, &out, 1, IPC_NOWAIT), EACCES);
    CHILD_CHECK_OK(msgctl(r, IPC_STAT, &ds));
    CHILD_CHECK(msgrcv(r, &in, sizeof(in.mtext), 0, IPC_NOWAIT | MSG_COPY) == 6);
    CHILD_CHECK(msgrcv(r, &in, sizeof(in.mtext), 3, IPC_NOWAIT) == 6);
    CHILD_CHECK_ERRNO(msgctl(r, IPC_RMID, nullptr), EPERM);

    CHILD_CHECK_OK(msgsnd(w, &out, 1, IPC_NOWAIT));
    CHILD_CHECK_ERRNO(msgrcv(w, &in, sizeof(in.mtext), 0, IPC_NOWAIT), EACCES);
    CHILD_CHECK_ERRNO(msgctl(w, IPC_STAT, &ds), EACCES);
    CHILD_CHECK_ERRNO(msgctl(w, IPC_RMID, nullptr), EPERM);
  });
  struct msqid_ds ds = {};
  ASSERT_EQ(msgctl(w, IPC_STAT, &ds), 0);
  EXPECT_EQ(ds.msg_qnum, 1u);
}

// msgmni and qbytes bound what an unprivileged program can pin: it creates
// queues until ENOSPC and fills each until EAGAIN, within a bounded number
// of calls, and may not raise qbytes above msgmnb.
TEST(SecurityTest, MsgmniAndQbytesStopSysvExhaustion) {
  SKIP_UNLESS_ROOT();
  constexpr int kMsgmni = 6;
  constexpr int kMsgmnb = 4096;
  constexpr int kAttempts = 1000;
  EXPECT_CHILD_OK([&] {
    if (unshare(CLONE_NEWIPC) != 0) CHILD_SKIP("no CLONE_NEWIPC");
    CHILD_CHECK(::mqtest::WriteLongFile("/proc/sys/kernel/msgmni", kMsgmni) == 0);
    CHILD_CHECK(::mqtest::WriteLongFile("/proc/sys/kernel/msgmnb", kMsgmnb) == 0);
    int st = ::mqtest::RunInChild([&] {
      CHILD_BECOME_NOBODY();
      std::vector<int> ids;
      int err = 0;
      for (int i = 0; i < kAttempts; i++) {
        int id = msgget(IPC_PRIVATE, 0600);
        if (id < 0) {
          err = errno;
          break;
        }
        ids.push_back(id);
      }
      if (err != ENOSPC || (int)ids.size() != kMsgmni)
        CHILD_FAIL("made %zu queues, then errno %d; want %d then ENOSPC", ids.size(), err, kMsgmni);
      BigMsg big('x');
      long total = 0;
      int calls = 0;
      for (int id : ids) {
        for (;;) {
          if (++calls > kAttempts) CHILD_FAIL("queue %d never filled up", id);
          if (msgsnd(id, &big, sizeof(big.mtext), IPC_NOWAIT) != 0) {
            CHILD_CHECK(errno == EAGAIN);
            break;
          }
          total += sizeof(big.mtext);
        }
        struct msqid_ds ds;
        CHILD_CHECK_OK(msgctl(id, IPC_STAT, &ds));
        CHILD_CHECK(ds.msg_qbytes == (unsigned long)kMsgmnb && ds.msg_cbytes <= (unsigned long)kMsgmnb);
        // The owner may lower qbytes or keep it, not raise it.
        ds.msg_qbytes = kMsgmnb + 1;
        CHILD_CHECK_ERRNO(msgctl(id, IPC_SET, &ds), EPERM);
        ds.msg_qbytes = 1L << 20;
        CHILD_CHECK_ERRNO(msgctl(id, IPC_SET, &ds), EPERM);
        ds.msg_qbytes = kMsgmnb;
        CHILD_CHECK_OK(msgctl(id, IPC_SET, &ds));
      }
      if (total > (long)kMsgmni * kMsgmnb) CHILD_FAIL("pinned %ld bytes", total);
      // Nobody can raise the namespace's limits either.
      CHILD_CHECK(::mqtest::WriteLongFile("/proc/sys/kernel/msgmni", 32000) != 0);
      CHILD_CHECK(::mqtest::WriteLongFile("/proc/sys/kernel/msgmnb", 1 << 30) != 0);
      CHILD_CHECK(::mqtest::WriteLongFile("/proc/sys/kernel/msgmax", 1 << 30) != 0);
    });
    CHILD_CHECK(::mqtest::ChildOK(st));
    // What the worker left is exactly what the limits allow.
    struct msginfo info;
    CHILD_CHECK(msgctl(0, MSG_INFO, (struct msqid_ds*)&info) >= 0);
    CHILD_CHECK(info.msgpool == kMsgmni);
    CHILD_CHECK(info.msgtql <= kMsgmni * kMsgmnb);
  });
}

// IPC_SET's qbytes goes through 32 bits (Linux: an int compared with the
// unsigned msg_ctlmnb): values whose low 32 bits are above msgmnb as an
// unsigned number are refused without CAP_SYS_RESOURCE, "negative" ones
// included, so an owner cannot make its queue unbounded.
TEST(SecurityTest, SysvQbytesTruncationCannotBypassMsgmnb) {
  SKIP_UNLESS_ROOT();
  EXPECT_CHILD_OK([&] {
    if (unshare(CLONE_NEWIPC) != 0) CHILD_SKIP("no CLONE_NEWIPC");
    CHILD_BECOME_NOBODY();
    long msgmnb = ::mqtest::ReadLongFile("/proc/sys/kernel/msgmnb");
    CHILD_CHECK(msgmnb > 0);
    int id = msgget(IPC_PRIVATE, 0600);
    CHILD_CHECK(id >= 0);
    struct msqid_ds ds;
    for (unsigned long q : {0x80000000UL, 0xffffffffUL, ~0UL, (1UL << 32) | 0x80000000UL, (1UL << 32) - 2}) {
      CHILD_CHECK_OK(msgctl(id, IPC_STAT, &ds));
      ds.msg_qbytes = q;
      errno = 0;
      int r = msgctl(id, IPC_SET, &ds);
      if (r != -1 || errno != EPERM) CHILD_FAIL("IPC_SET qbytes %#lx = %d", q, r);
      CHILD_CHECK_OK(msgctl(id, IPC_STAT, &ds));
      if (ds.msg_qbytes > (unsigned long)msgmnb) CHILD_FAIL("qbytes became %#lx", (unsigned long)ds.msg_qbytes);
    }
    // Only the low 32 bits count: 2^32 + 5 is 5.
    ds.msg_qbytes = (1UL << 32) + 5;
    CHILD_CHECK_OK(msgctl(id, IPC_SET, &ds));
    CHILD_CHECK_OK(msgctl(id, IPC_STAT, &ds));
    CHILD_CHECK(ds.msg_qbytes == 5);
    // And the queue holds no more than its qbytes.
    ds.msg_qbytes = msgmnb;
    CHILD_CHECK_OK(msgctl(id, IPC_SET, &ds));
    BigMsg m('q');
    int n = 0;
    while (n < 1000 && msgsnd(id, &m, sizeof(m.mtext), IPC_NOWAIT) == 0) n++;
    CHILD_CHECK(errno == EAGAIN);
    CHILD_CHECK((long)n * (long)sizeof(m.mtext) <= msgmnb);
  });
}

// ---------------------------------------------------------------------------
// IPC namespaces.

TEST(SecurityTest, IpcNamespaceIsolatesPosixQueues) {
  SKIP_UNLESS_ROOT();
  ScopedUmask no_umask;
  ScopedQueueName name;
  struct mq_attr a = QueueAttr(4, 32);
  mqd_t q = mq_open(name.c_str(), O_RDWR | O_CREAT | O_EXCL | O_NONBLOCK, 0666, &a);
  ASSERT_GE(q, 0);
  ASSERT_EQ(mq_send(q, "outer", 5, 0), 0);
  EXPECT_CHILD_OK([&] {
    if (unshare(CLONE_NEWIPC) != 0) CHILD_SKIP("no CLONE_NEWIPC");
    CHILD_CHECK_ERRNO(mq_open(name.c_str(), O_RDWR), ENOENT);
    CHILD_CHECK_ERRNO(mq_unlink(name.c_str()), ENOENT);
    // The same name here is another queue.
    mqd_t inner = mq_open(name.c_str(), O_RDWR | O_CREAT | O_EXCL | O_NONBLOCK, 0600, &a);
    CHILD_CHECK(inner >= 0);
    struct mq_attr got;
    CHILD_CHECK_OK(mq_getattr(inner, &got));
    CHILD_CHECK(got.mq_curmsgs == 0);
    CHILD_CHECK_OK(mq_send(inner, "inner", 5, 0));
    // A descriptor inherited from the parent still reaches the parent's
    // queue (descriptors are capabilities, names are per namespace).
    char buf[32];
    CHILD_CHECK(mq_receive(q, buf, sizeof(buf), nullptr) == 5 && memcmp(buf, "outer", 5) == 0);
    CHILD_CHECK_OK(mq_send(q, "back", 4, 0));
  });
  char buf[32];
  ASSERT_EQ(mq_receive(q, buf, sizeof(buf), nullptr), 4);
  EXPECT_EQ(memcmp(buf, "back", 4), 0);
  EXPECT_ERRNO(mq_receive(q, buf, sizeof(buf), nullptr), EAGAIN);
  mq_close(q);
}

TEST(SecurityTest, IpcNamespaceIsolatesSysvQueues) {
  SKIP_UNLESS_ROOT();
  key_t key = OwnKey(2);
  ScopedMsq q(msgget(key, IPC_CREAT | IPC_EXCL | 0666));
  ASSERT_GE(q.id(), 0);
  int id = q.id();
  EXPECT_CHILD_OK([&] {
    if (unshare(CLONE_NEWIPC) != 0) CHILD_SKIP("no CLONE_NEWIPC");
    CHILD_CHECK_ERRNO(msgget(key, 0), ENOENT);
    Msg m = {1, "hello"};
    CHILD_CHECK_ERRNO(msgsnd(id, &m, 5, IPC_NOWAIT), EINVAL);
    CHILD_CHECK_ERRNO(msgrcv(id, &m, sizeof(m.mtext), 0, IPC_NOWAIT), EINVAL);
    struct msqid_ds ds;
    CHILD_CHECK_ERRNO(msgctl(id, IPC_STAT, &ds), EINVAL);
    CHILD_CHECK_ERRNO(msgctl(id, IPC_RMID, nullptr), EINVAL);
    struct msginfo info;
    CHILD_CHECK(msgctl(0, MSG_INFO, (struct msqid_ds*)&info) == 0);
    CHILD_CHECK(info.msgpool == 0);
    for (int i = 0; i < 64; i++) CHILD_CHECK_ERRNO(msgctl(i, MSG_STAT_ANY, &ds), EINVAL);
    // Same key, other queue.
    int inner = msgget(key, IPC_CREAT | IPC_EXCL | 0600);
    CHILD_CHECK(inner >= 0);
    CHILD_CHECK_OK(msgsnd(inner, &m, 5, IPC_NOWAIT));
  });
  struct msqid_ds ds = {};
  ASSERT_EQ(msgctl(id, IPC_STAT, &ds), 0);
  EXPECT_EQ(ds.msg_qnum, 0u);
  EXPECT_EQ(msgget(key, 0), id);
}

// An unprivileged process cannot make an IPC namespace of its own; inside a
// new user namespace it can, and the queues outside stay out of reach.
TEST(SecurityTest, UnprivilegedIpcNamespace) {
  SKIP_UNLESS_ROOT();
  ScopedUmask no_umask;
  key_t key = OwnKey(3);
  ScopedMsq q(msgget(key, IPC_CREAT | IPC_EXCL | 0666));
  ASSERT_GE(q.id(), 0);
  ScopedQueueName name;
  mqd_t pq = CreateNamedQueue(name, 0666);
  ASSERT_GE(pq, 0);
  int id = q.id();
  int st = ::mqtest::RunInChild([&] {
    CHILD_BECOME_NOBODY();
    CHILD_CHECK_ERRNO(unshare(CLONE_NEWIPC), EPERM);
    // Still in the parent's namespace: the 0666 queues are usable.
    CHILD_CHECK(msgget(key, 0666) == id);
    if (unshare(CLONE_NEWUSER | CLONE_NEWIPC) != 0) CHILD_SKIP("unprivileged user namespaces are disabled");
    CHILD_CHECK_ERRNO(msgget(key, 0), ENOENT);
    Msg m = {1, "x"};
    CHILD_CHECK_ERRNO(msgsnd(id, &m, 1, IPC_NOWAIT), EINVAL);
    CHILD_CHECK_ERRNO(mq_open(name.c_str(), O_RDWR), ENOENT);
    // Capabilities in the new user namespace do not reach the outer
    // namespace's queues either: what it creates is its own.
    int inner = msgget(key, IPC_CREAT | IPC_EXCL | 0600);
    CHILD_CHECK(inner >= 0);
    CHILD_CHECK_OK(msgsnd(inner, &m, 1, IPC_NOWAIT));
  });
  if (WIFEXITED(st) && WEXITSTATUS(st) == ::mqtest::kChildSkipExit) {
    mq_close(pq);
    GTEST_SKIP() << "unprivileged user namespaces are disabled";
  }
  EXPECT_TRUE(::mqtest::ChildOK(st)) << ::mqtest::DescribeStatus(st);
  struct msqid_ds ds = {};
  ASSERT_EQ(msgctl(id, IPC_STAT, &ds), 0);
  EXPECT_EQ(ds.msg_qnum, 0u);
  mq_close(pq);
}

// The root of a new user namespace may tune the IPC namespace it created
// (Linux: ipc/ipc_sysctl.c ipc_permissions, ipc/mq_sysctl.c
// mq_permissions): its /proc/sys/kernel/msg* and /proc/sys/fs/mqueue/*
// take new values, which then govern msgctl(IPC_SET) and mq_open there.
// An unprivileged user of the initial namespaces may not write them.
TEST(SecurityTest, UserNamespaceRootTunesItsIpcNamespace) {
  SKIP_UNLESS_ROOT();
  EXPECT_CHILD_OK([] {
    CHILD_BECOME_NOBODY();
    CHILD_CHECK_ERRNO(open("/proc/sys/kernel/msgmnb", O_WRONLY), EACCES);
    CHILD_CHECK_ERRNO(open(::mqtest::MqSysctl("msg_max").c_str(), O_WRONLY), EACCES);
  });
  ASSERT_CHILD_OK_OR_SKIP([] {
    ChildEnterOwnNamespacesAsTheirRoot(CLONE_NEWIPC);
    const struct {
      std::string path;
      long value;
    } writes[] = {
        {"/proc/sys/kernel/msgmax", 16000},
        {"/proc/sys/kernel/msgmnb", 40000},
        {"/proc/sys/kernel/msgmni", 100},
        {::mqtest::MqSysctl("msg_max"), 20},
        {::mqtest::MqSysctl("msgsize_max"), 9000},
        {::mqtest::MqSysctl("queues_max"), 4},
        {::mqtest::MqSysctl("msg_default"), 3},
        {::mqtest::MqSysctl("msgsize_default"), 200},
    };
    for (const auto& w : writes) {
      int err = ::mqtest::WriteLongFile(w.path, w.value);
      if (err != 0) CHILD_FAIL("writing %ld to %s: %s", w.value, w.path.c_str(), strerror(err));
      CHILD_CHECK(::mqtest::ReadLongFile(w.path) == w.value);
    }
    // qbytes up to the new msgmnb needs no CAP_SYS_RESOURCE.
    int id = msgget(IPC_PRIVATE, IPC_CREAT | 0600);
    CHILD_CHECK(id >= 0);
    struct msqid_ds ds = {};
    CHILD_CHECK_OK(msgctl(id, IPC_STAT, &ds));
    CHILD_CHECK(ds.msg_qbytes == 40000);
    ds.msg_qbytes = 40000;
    CHILD_CHECK_OK(msgctl(id, IPC_SET, &ds));
    ds.msg_qbytes = 40001;
    CHILD_CHECK_ERRNO(msgctl(id, IPC_SET, &ds), EPERM);
    // A message of the new msgmax fits, one byte more does not.
    static struct {
      long mtype;
      char mtext[16001];
    } big = {1, {}};
    CHILD_CHECK_OK(msgsnd(id, &big, 16000, IPC_NOWAIT));
    CHILD_CHECK_ERRNO(msgsnd(id, &big, 16001, IPC_NOWAIT), EINVAL);
    CHILD_CHECK_OK(msgctl(id, IPC_RMID, nullptr));
    // mq_open follows the new geometry limits and defaults.
    struct mq_attr a = QueueAttr(20, 9000);
    mqd_t q = mq_open("/tuned", O_RDWR | O_CREAT | O_EXCL, 0600, &a);
    CHILD_CHECK(q >= 0);
    struct mq_attr over = QueueAttr(21, 16);
    CHILD_CHECK_ERRNO(mq_open("/over", O_RDWR | O_CREAT | O_EXCL, 0600, &over), EINVAL);
    mqd_t d = mq_open("/defaults", O_RDWR | O_CREAT | O_EXCL, 0600, nullptr);
    CHILD_CHECK(d >= 0);
    struct mq_attr got = {};
    CHILD_CHECK_OK(mq_getattr(d, &got));
    CHILD_CHECK(got.mq_maxmsg == 3 && got.mq_msgsize == 200);
    CHILD_CHECK_OK(mq_unlink("/tuned"));
    CHILD_CHECK_OK(mq_unlink("/defaults"));
  });
}

// mount(2) of mqueue needs CAP_SYS_ADMIN over the user namespace that owns
// the mounter's IPC namespace (Linux: mqueue_get_tree gives the superblock
// that user namespace, and sget_fc checks the mounter's capability in it).
// The root of a new user and mount namespace is refused (EPERM) the
// initial IPC namespace's queues; in an IPC namespace of its own it may
// mount that one's.
TEST(SecurityTest, MqueueMountNeedsAdminOverIpcNamespaceOwner) {
  SKIP_UNLESS_ROOT();
  ::mqtest::TempDir dir(0755);
  ASSERT_FALSE(dir.path().empty()) << strerror(errno);
  const std::string& mnt = dir.path();
  ScopedQueueName name;
  mqd_t q = CreateNamedQueue(name, 0600);
  ASSERT_GE(q, 0) << strerror(errno);
  int st = ::mqtest::RunInChild([&] {
    ChildEnterOwnNamespacesAsTheirRoot(CLONE_NEWNS);
    CHILD_CHECK_ERRNO(mount("none", mnt.c_str(), "mqueue", 0, nullptr), EPERM);
    struct stat sb;
    CHILD_CHECK_ERRNO(stat((mnt + name).c_str(), &sb), ENOENT);
  });
  if (WIFEXITED(st) && WEXITSTATUS(st) == ::mqtest::kChildSkipExit) {
    mq_close(q);
    GTEST_SKIP() << "unprivileged user namespaces are disabled";
  }
  EXPECT_TRUE(::mqtest::ChildOK(st)) << ::mqtest::DescribeStatus(st);
  EXPECT_CHILD_OK([&] {
    ChildEnterOwnNamespacesAsTheirRoot(CLONE_NEWNS | CLONE_NEWIPC);
    mqd_t own = mq_open("/own", O_RDWR | O_CREAT | O_EXCL, 0600, nullptr);
    CHILD_CHECK(own >= 0);
    CHILD_CHECK_OK(mount("none", mnt.c_str(), "mqueue", 0, nullptr));
    struct stat sb;
    CHILD_CHECK_OK(stat((mnt + "/own").c_str(), &sb));
    CHILD_CHECK_ERRNO(stat((mnt + name).c_str(), &sb), ENOENT);
  });
  mq_close(q);
}

// The same for a second process: one that enters a user namespace of its
// own, nested in the owner of its IPC namespace, holds no capability over
// that owner, so it may not mount the IPC namespace's queues (EPERM), while
// the IPC namespace's creator may, in a new mount namespace, and sees them.
TEST(SecurityTest, MqueueMountFromNestedUserNamespaceEPERM) {
  SKIP_UNLESS_ROOT();
  ::mqtest::TempDir dir(0755);
  ASSERT_FALSE(dir.path().empty()) << strerror(errno);
  const std::string& mnt = dir.path();
  ASSERT_CHILD_OK_OR_SKIP([&] {
    ChildEnterOwnNamespacesAsTheirRoot(CLONE_NEWIPC);
    mqd_t own = mq_open("/own", O_RDWR | O_CREAT | O_EXCL, 0600, nullptr);
    CHILD_CHECK(own >= 0);
    int st = ::mqtest::RunInChild([&] {
      CHILD_CHECK_OK(unshare(CLONE_NEWUSER | CLONE_NEWNS));
      CHILD_CHECK_ERRNO(mount("none", mnt.c_str(), "mqueue", 0, nullptr), EPERM);
      struct stat sb;
      CHILD_CHECK_ERRNO(stat((mnt + "/own").c_str(), &sb), ENOENT);
    });
    if (!::mqtest::ChildOK(st)) CHILD_FAIL("nested user namespace: %s", ::mqtest::DescribeStatus(st).c_str());
    CHILD_CHECK_OK(unshare(CLONE_NEWNS));
    CHILD_CHECK_OK(mount("none", mnt.c_str(), "mqueue", 0, nullptr));
    ::mqtest::MaybeSave();  // a mount of an IPC namespace owned by a user namespace
    struct stat sb;
    CHILD_CHECK_OK(stat((mnt + "/own").c_str(), &sb));
  });
}

// In a new user and IPC namespace whose uid_map is not written, the creator
// of a queue has no uid there: Linux's may_create (fsuidgid_has_mapping)
// refuses with EOVERFLOW before any other creation check, bad geometry
// included; opening a missing name without O_CREAT is still ENOENT.
TEST(SecurityTest, MqOpenWithoutUidMapEOVERFLOW) {
  SKIP_UNLESS_ROOT();
  ASSERT_CHILD_OK_OR_SKIP([] {
    CHILD_BECOME_NOBODY();
    if (unshare(CLONE_NEWUSER | CLONE_NEWIPC) != 0) CHILD_SKIP("unprivileged user namespaces are disabled");
    CHILD_CHECK_ERRNO(mq_open("/unmapped", O_RDWR | O_CREAT, 0600, nullptr), EOVERFLOW);
    struct mq_attr bad = QueueAttr(0, 16);
    CHILD_CHECK_ERRNO(mq_open("/unmapped", O_RDWR | O_CREAT | O_EXCL, 0600, &bad), EOVERFLOW);
    CHILD_CHECK_ERRNO(mq_open("/unmapped", O_RDWR), ENOENT);
  });
}

// ---------------------------------------------------------------------------
// fcntl(F_MQ_PEEK)

TEST(SecurityTest, MqsentryOnlyPeekNeedsReadableDescriptor) {
  SKIP_UNLESS_ROOT();
  ScopedUmask no_umask;
  ScopedQueueName name;
  mqd_t q = CreateNamedQueue(name, 0622);
  ASSERT_GE(q, 0);
  ASSERT_EQ(mq_send(q, "peek me", 7, 5), 0);
  char buf[32];
  mq_peek_attr pa = {0, 0, sizeof(buf), buf};
  // Root, read-write: works.
  ASSERT_EQ(fcntl(q, F_MQ_PEEK, &pa), 7) << strerror(errno);
  // Root, write-only descriptor: EBADF.
  mqd_t wo = mq_open(name.c_str(), O_WRONLY);
  ASSERT_GE(wo, 0);
  EXPECT_ERRNO(fcntl(wo, F_MQ_PEEK, &pa), EBADF);
  EXPECT_CHILD_OK([&] {
    CHILD_BECOME_NOBODY();
    char b[32];
    mq_peek_attr p = {0, 0, sizeof(b), b};
    // The write-only descriptor it inherited, and one of its own.
    CHILD_CHECK_ERRNO(fcntl(wo, F_MQ_PEEK, &p), EBADF);
    CHILD_CHECK_ERRNO(mq_open(name.c_str(), O_RDONLY), EACCES);
    mqd_t mine = mq_open(name.c_str(), O_WRONLY);
    CHILD_CHECK(mine >= 0);
    CHILD_CHECK_ERRNO(fcntl(mine, F_MQ_PEEK, &p), EBADF);
    // Even with a hostile attr, the descriptor check comes first.
    CHILD_CHECK_ERRNO(fcntl(mine, F_MQ_PEEK, (void*)1), EBADF);
    p.offset = -1;
    CHILD_CHECK_ERRNO(fcntl(mine, F_MQ_PEEK, &p), EBADF);
  });
  // The message is still there, unread.
  struct mq_attr got;
  ASSERT_EQ(mq_getattr(q, &got), 0);
  EXPECT_EQ(got.mq_curmsgs, 1);
  mq_close(wo);
  mq_close(q);
}

// ---------------------------------------------------------------------------
// kcmp(2) rights.

// A child that waits until told to go; it may first switch to another user
// and make itself dumpable again.
class Target {
 public:
  Target(uid_t uid, bool dumpable, bool drop_ptrace_cap = false) {
    if (pipe(go_) != 0 || pipe(ready_) != 0) return;
    pid_ = fork();
    if (pid_ == 0) {
      close(go_[1]);
      close(ready_[0]);
      bool ok = true;
      if (uid != 0) ok = BecomeUser(uid, uid);
      if (drop_ptrace_cap) ok = ok && ::mqtest::DropCapability(CAP_SYS_PTRACE);
      if (dumpable) ok = ok && prctl(PR_SET_DUMPABLE, 1) == 0;
      char c = ok ? 'y' : 'n';
      (void)!write(ready_[1], &c, 1);
      while (read(go_[0], &c, 1) < 0 && errno == EINTR) {
      }
      _exit(0);
    }
    close(go_[0]);
    close(ready_[1]);
    char c = 0;
    while (read(ready_[0], &c, 1) < 0 && errno == EINTR) {
    }
    ok_ = c == 'y';
  }
  ~Target() {
    // Later Targets inherited this pipe: tell the child with a byte, not EOF.
    char c = 'g';
    (void)!write(go_[1], &c, 1);
    close(go_[1]);
    close(ready_[0]);
    if (pid_ > 0) waitpid(pid_, nullptr, 0);
  }
  pid_t pid() const { return pid_; }
  bool ok() const { return ok_ && pid_ > 0; }

 private:
  int go_[2] = {-1, -1};
  int ready_[2] = {-1, -1};
  pid_t pid_ = -1;
  bool ok_ = false;
};

TEST(SecurityTest, KcmpWithoutPtraceRightsEPERM) {
  SKIP_UNLESS_ROOT();
  if (!HaveKcmp()) GTEST_SKIP() << "kernel without CONFIG_KCMP";
  Target other_user(kNobody - 1, /*dumpable=*/true);
  Target nobody_undumpable(kNobody, /*dumpable=*/false);
  Target nobody_dumpable(kNobody, /*dumpable=*/true);
  ASSERT_TRUE(other_user.ok() && nobody_undumpable.ok() && nobody_dumpable.ok());
  pid_t parent = getpid();
  pid_t a = other_user.pid(), b = nobody_undumpable.pid(), c = nobody_dumpable.pid();
  EXPECT_CHILD_OK([&] {
    CHILD_BECOME_NOBODY();
    CHILD_CHECK_OK(prctl(PR_SET_DUMPABLE, 1));
    pid_t self = getpid();
    for (int type : {KCMP_FILE, KCMP_VM, KCMP_FILES, KCMP_FS, KCMP_SIGHAND}) {
      // Root, another uid, and a non-dumpable process of the same uid: no.
      for (pid_t p : {parent, a, b}) {
        CHILD_CHECK_ERRNO(Kcmp(self, p, type, 0, 0), EPERM);
        CHILD_CHECK_ERRNO(Kcmp(p, self, type, 0, 0), EPERM);
        CHILD_CHECK_ERRNO(Kcmp(p, p, type, 0, 0), EPERM);
        CHILD_CHECK_ERRNO(Kcmp(c, p, type, 0, 0), EPERM);
      }
      // A dumpable process of the same uid: yes.
      CHILD_CHECK(Kcmp(self, c, type, 0, 0) >= 0);
      CHILD_CHECK(Kcmp(c, c, type, 0, 0) == 0);
    }
    // Unknown pids are ESRCH before any rights check.
    CHILD_CHECK_ERRNO(Kcmp(parent, INT_MAX, KCMP_VM, 0, 0), ESRCH);
    CHILD_CHECK_ERRNO(Kcmp(INT_MAX, parent, KCMP_VM, 0, 0), ESRCH);
  });
  // Root may compare anybody.
  EXPECT_GE(Kcmp(parent, a, KCMP_VM, 0, 0), 1);
  EXPECT_GE(Kcmp(b, c, KCMP_VM, 0, 0), 1);
}

// Root without CAP_SYS_PTRACE may not inspect a process holding
// capabilities it lacks (commoncap: the target's permitted set must be a
// subset of the caller's).
TEST(SecurityTest, KcmpTargetWithMoreCapabilitiesEPERM) {
  SKIP_UNLESS_ROOT();
  if (!HaveKcmp()) GTEST_SKIP() << "kernel without CONFIG_KCMP";
  if (!::mqtest::HaveCapability(CAP_SYS_PTRACE)) GTEST_SKIP() << "needs CAP_SYS_PTRACE";
  Target full(0, /*dumpable=*/true);
  Target reduced(0, /*dumpable=*/true, /*drop_ptrace_cap=*/true);
  ASSERT_TRUE(full.ok() && reduced.ok());
  pid_t f = full.pid(), r = reduced.pid();
  EXPECT_CHILD_OK([&] {
    CHILD_CHECK(::mqtest::DropCapability(CAP_SYS_PTRACE));
    pid_t self = getpid();
    CHILD_CHECK_ERRNO(Kcmp(self, f, KCMP_VM, 0, 0), EPERM);
    CHILD_CHECK_ERRNO(Kcmp(self, getppid(), KCMP_FILES, 0, 0), EPERM);
    // Same capabilities: fine.
    CHILD_CHECK(Kcmp(self, r, KCMP_VM, 0, 0) >= 1);
  });
}

// ---------------------------------------------------------------------------
// kcmp(2) reveals an order, not addresses.

// Kendall's tau between the creation order (0..n-1) and ranks.
double KendallTau(const std::vector<int>& ranks) {
  long conc = 0, disc = 0;
  int n = ranks.size();
  for (int i = 0; i < n; i++) {
    for (int j = i + 1; j < n; j++) {
      if (ranks[i] < ranks[j]) conc++;
      if (ranks[i] > ranks[j]) disc++;
    }
  }
  return double(conc - disc) / (double(n) * (n - 1) / 2);
}

// Over 200 descriptions (opened one after the other, each also dup'ed),
// KCMP_FILE's answers form one strict total order in which a descriptor
// equals exactly its dups; and that order is not the order in which the
// descriptions were allocated: an implementation comparing addresses of
// sequentially allocated objects gives |tau| near 1, a random permutation
// gives |tau| ~ N(0, 0.047), so |tau| < 0.5 (10 standard deviations) cannot
// fail by chance.
TEST(SecurityTest, KcmpFileOrderIsTotalAndHidesAllocationOrder) {
  if (!HaveKcmp()) GTEST_SKIP() << "kernel without CONFIG_KCMP";
  constexpr int kFiles = 200;
  std::vector<int> fds;
  for (int i = 0; i < kFiles; i++) {
    int fd = eventfd(0, EFD_CLOEXEC);
    ASSERT_GE(fd, 0) << strerror(errno);
    fds.push_back(fd);
  }
  // Dups of every 10th, at the end.
  std::vector<int> all = fds, origin;
  for (int i = 0; i < kFiles; i++) origin.push_back(i);
  for (int i = 0; i < kFiles; i += 10) {
    int d = dup(fds[i]);
    ASSERT_GE(d, 0);
    all.push_back(d);
    origin.push_back(i);
  }
  pid_t self = getpid();
  std::vector<int> ranks;
  CheckTotalOrder(
      all.size(), kFiles, [&](int i, int j) { return Kcmp(self, self, KCMP_FILE, all[i], all[j]); },
      [&](int i, int j) { return origin[i] == origin[j]; }, &ranks);
  double tau = KendallTau(ranks);
  fprintf(stderr, "KCMP_FILE: Kendall tau vs allocation order %.3f\n", tau);
  EXPECT_LT(fabs(tau), 0.5) << "KCMP_FILE order follows allocation order (tau " << tau << ")";
  // Neighbours in allocation order come out in either order about as often.
  int before = 0;
  for (int i = 1; i < kFiles; i++) before += ranks[i - 1] < ranks[i];
  EXPECT_GT(before, kFiles / 5) << "allocation neighbours keep their order";
  EXPECT_LT(before, kFiles * 4 / 5) << "allocation neighbours keep their order";
  // Stable: the same question, the same answer.
  for (int i = 0; i + 1 < kFiles; i++) {
    long r = Kcmp(self, self, KCMP_FILE, fds[i], fds[i + 1]);
    EXPECT_EQ(r, ranks[i] < ranks[i + 1] ? 1 : 2);
  }
  for (int fd : all) close(fd);
}

// The same for the per-process objects of 40 processes forked one after the
// other: their address spaces, descriptor tables, fs contexts and signal
// handler tables each form a total order unrelated to creation (pid) order
// (|tau| < 0.6, about 5.5 standard deviations for n = 40).
TEST(SecurityTest, KcmpTaskOrdersAreTotalAndHideCreationOrder) {
  if (!HaveKcmp()) GTEST_SKIP() << "kernel without CONFIG_KCMP";
  constexpr int kProcs = 40;
  std::vector<std::unique_ptr<Target>> procs;
  std::vector<pid_t> pids;
  for (int i = 0; i < kProcs; i++) {
    procs.emplace_back(new Target(0, /*dumpable=*/true));
    ASSERT_TRUE(procs.back()->ok());
    pids.push_back(procs.back()->pid());
  }
  for (int type : {KCMP_VM, KCMP_FILES, KCMP_FS, KCMP_SIGHAND}) {
    SCOPED_TRACE("type " + std::to_string(type));
    std::vector<int> ranks;
    CheckTotalOrder(
        kProcs, kProcs, [&](int i, int j) { return Kcmp(pids[i], pids[j], type, 0, 0); },
        [](int i, int j) { return i == j; }, &ranks);
    double tau = KendallTau(ranks);
    fprintf(stderr, "kcmp type %d: Kendall tau vs creation order %.3f\n", type, tau);
    EXPECT_LT(fabs(tau), 0.6) << "order follows creation order (tau " << tau << ")";
  }
}

}  // namespace
