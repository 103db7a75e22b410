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

// System V message queues in the syscall tests (msg*_test.cc): raw calls,
// a queue owned by a scope, the namespace's limits in /proc/sys/kernel, and
// the steps the cases share.
//
// The expected values of the tests are those of Linux 6.18 (checked
// natively). Tests that change namespace-wide settings or enumerate queues
// run in a forked child that first enters a new IPC namespace
// (EnterNewIpcNamespace), so they see a private, empty one. Every test
// removes the queues it creates. The void helpers here use gtest
// assertions: call them in ASSERT_NO_FATAL_FAILURE so that a fatal failure
// also ends the case.
#ifndef MQSENTRY_TEST_SYSCALLS_LINUX_MSG_UTIL_H_
#define MQSENTRY_TEST_SYSCALLS_LINUX_MSG_UTIL_H_

#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ipc.h>
#include <sys/mman.h>
#include <sys/msg.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <time.h>
#include <unistd.h>

#include <functional>
#include <string>
#include <vector>

#include "caps_util.h"
#include "check_util.h"
#include "child_util.h"
#include "gtest/gtest.h"
#include "proc_util.h"
#include "signal_util.h"
#include "time_util.h"

#ifndef MSG_COPY
#define MSG_COPY 040000
#endif
#ifndef MSG_EXCEPT
#define MSG_EXCEPT 020000
#endif
#ifndef MSG_STAT
#define MSG_STAT 11
#endif
#ifndef MSG_INFO
#define MSG_INFO 12
#endif
#ifndef MSG_STAT_ANY
#define MSG_STAT_ANY 13
#endif

namespace mqtest {

// id = seq * kSeqMultiplier + index (IPCMNI without ipcmni_extend).
constexpr int kSeqMultiplier = 32768;

// Default limits of a fresh IPC namespace.
constexpr int kDefaultMsgmax = 8192;
constexpr int kDefaultMsgmnb = 16384;
constexpr int kDefaultMsgmni = 32000;

constexpr int kBlockDelayMs = 100;  // time given to a waiter to block

constexpr char kMsgmax[] = "/proc/sys/kernel/msgmax";
constexpr char kMsgmnb[] = "/proc/sys/kernel/msgmnb";
constexpr char kMsgmni[] = "/proc/sys/kernel/msgmni";
constexpr char kMsgNextId[] = "/proc/sys/kernel/msg_next_id";

// Reads a /proc/sys/kernel limit; -12345 if it cannot be read (msg_next_id
// may hold -1).
inline long ReadProcInt(const char* path) { return ReadLongFile(path, -12345); }

// Checks that expr does not fail with -1: CHECK_NE_ is ASSERT_NE or
// EXPECT_NE, text is #expr.
#define CHECK_OK_(CHECK_NE_, expr, text)                                   \
  do {                                                                     \
    errno = 0;                                                             \
    long _r = static_cast<long>(expr);                                     \
    CHECK_NE_(_r, -1) << text << ": " << strerror(errno);                  \
  } while (0)

// Asserts / expects that expr does not fail with -1.
#define ASSERT_OK(expr) CHECK_OK_(ASSERT_NE, expr, #expr)
#define EXPECT_OK(expr) CHECK_OK_(EXPECT_NE, expr, #expr)

// Raw msgctl: no glibc translation of cmd or of the buffer.
inline long MsgCtl(int id, int cmd, void* buf) {
  return syscall(SYS_msgctl, id, cmd, buf);
}

inline int Send(int id, long type, const std::string& text, int flags = 0) {
  std::vector<char> buf(sizeof(long) + text.size() + 1);
  memcpy(buf.data(), &type, sizeof(long));
  memcpy(buf.data() + sizeof(long), text.data(), text.size());
  return msgsnd(id, buf.data(), text.size(), flags);
}

struct Received {
  long type = 0;
  std::string text;
};

// msgrcv into a buffer of bufsz payload bytes; fills *out on success.
inline ssize_t Recv(int id, Received* out, size_t bufsz, long msgtyp, int flags) {
  std::vector<char> buf(sizeof(long) + bufsz + 1);
  ssize_t r = msgrcv(id, buf.data(), bufsz, msgtyp, flags);
  int e = errno;
  if (r >= 0 && out != nullptr) {
    memcpy(&out->type, buf.data(), sizeof(long));
    out->text.assign(buf.data() + sizeof(long), r);
  }
  errno = e;
  return r;
}

// Owns a queue id and removes the queue on destruction.
class Queue {
 public:
  explicit Queue(int id = -1) : id_(id) {}
  Queue(Queue&& o) : id_(o.release()) {}
  Queue& operator=(Queue&& o) {
    reset(o.release());
    return *this;
  }
  Queue(const Queue&) = delete;
  Queue& operator=(const Queue&) = delete;
  ~Queue() { reset(); }

  int id() const { return id_; }
  bool ok() const { return id_ >= 0; }
  int release() {
    int id = id_;
    id_ = -1;
    return id;
  }
  void reset(int id = -1) {
    if (id_ >= 0) MsgCtl(id_, IPC_RMID, nullptr);
    id_ = id;
  }

  static Queue Private(int mode) {
    return Queue(msgget(IPC_PRIVATE, IPC_CREAT | mode));
  }

  // Creates a queue with a fresh, unused key.
  static Queue Keyed(int mode, key_t* key) {
    for (int i = 0; i < 1000; i++) {
      key_t k = NewKey();
      int id = msgget(k, IPC_CREAT | IPC_EXCL | mode);
      if (id >= 0) {
        *key = k;
        return Queue(id);
      }
      if (errno != EEXIST) return Queue(-1);
    }
    return Queue(-1);
  }

  // A key that is unlikely to be in use (callers must still cope with it).
  static key_t NewKey() {
    static uint32_t counter = 0;
    uint32_t k = 0x6d710000u ^ (static_cast<uint32_t>(getpid()) << 7) ^
                 (++counter * 2654435761u) ^
                 static_cast<uint32_t>(time(nullptr));
    if (k == 0) k = 1;
    return static_cast<key_t>(k);
  }

 private:
  int id_;
};

// Creates an IPC_PRIVATE queue from a child running as uid/gid without
// capabilities, so that cuid/cgid are uid/gid. Returns the id or -1.
inline int CreateQueueAs(uid_t uid, gid_t gid, int mode) {
  void* mem = mmap(nullptr, 4096, PROT_READ | PROT_WRITE,
                   MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  if (mem == MAP_FAILED) return -1;
  int* shared = static_cast<int*>(mem);
  *shared = -1;
  EXPECT_CHILD_OK([&] {
    ASSERT_NO_FATAL_FAILURE(DropPrivileges(uid, gid, 0));
    int id = msgget(IPC_PRIVATE, IPC_CREAT | mode);
    ASSERT_GE(id, 0) << strerror(errno);
    *shared = id;
  });
  int id = *shared;
  munmap(mem, 4096);
  return id;
}

// IPC_SET of owner uid/gid and mode, keeping qbytes.
inline long SetOwnerAndMode(int id, uid_t uid, gid_t gid, int mode) {
  struct msqid_ds ds = {};
  if (MsgCtl(id, IPC_STAT, &ds) != 0) return -1;
  ds.msg_perm.uid = uid;
  ds.msg_perm.gid = gid;
  ds.msg_perm.mode = mode;
  return MsgCtl(id, IPC_SET, &ds);
}

inline long SetQbytes(int id, unsigned long qbytes) {
  struct msqid_ds ds = {};
  if (MsgCtl(id, IPC_STAT, &ds) != 0) return -1;
  ds.msg_qbytes = qbytes;
  return MsgCtl(id, IPC_SET, &ds);
}

// A page that is mapped PROT_NONE: any access faults.
class BadPage {
 public:
  BadPage() {
    addr_ = mmap(nullptr, 4096, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  }
  ~BadPage() {
    if (addr_ != MAP_FAILED) munmap(addr_, 4096);
  }
  void* get() const { return addr_ == MAP_FAILED ? nullptr : addr_; }

 private:
  void* addr_;
};

// ---------------------------------------------------------------------------
// Steps shared by the cases.

struct Message {
  long type;
  std::string text;
};

// Sends a message, asserting success, then calls MaybeSave().
inline void SendThenSave(int id, long type, const std::string& text) {
  errno = 0;
  ASSERT_NE(Send(id, type, text), -1)
      << "Send(" << id << ", " << type << ", \"" << text
      << "\"): " << strerror(errno);
  MaybeSave();
}

// SendThenSave for each of msgs in order.
inline void SendAll(int id, const std::vector<Message>& msgs) {
  for (const Message& m : msgs) {
    ASSERT_NO_FATAL_FAILURE(SendThenSave(id, m.type, m.text));
  }
}

// Receives with msgrcv(id, bufsz, msgtyp, flags), asserting that it returns
// want.text.size(), and expects the message to be want.
inline void ExpectRecv(int id, long msgtyp, int flags, const Message& want,
                size_t bufsz = 64) {
  Received m;
  ASSERT_EQ(Recv(id, &m, bufsz, msgtyp, flags),
            static_cast<ssize_t>(want.text.size()))
      << strerror(errno);
  EXPECT_EQ(m.type, want.type);
  EXPECT_EQ(m.text, want.text);
}

// IPC_STAT of id must succeed and show qnum messages and, unless cbytes is
// -1, cbytes bytes.
inline void ExpectQueued(int id, unsigned long qnum, long cbytes = -1) {
  struct msqid_ds ds = {};
  ASSERT_EQ(MsgCtl(id, IPC_STAT, &ds), 0) << strerror(errno);
  EXPECT_EQ(ds.msg_qnum, qnum);
  if (cbytes != -1) {
    EXPECT_EQ(ds.__msg_cbytes, static_cast<unsigned long>(cbytes));
  }
}

// Sets the queue's qbytes to text.size() and fills it with one message of
// type 1, with a MaybeSave() after each step: another send then blocks.
inline void FillQueue(int id, const std::string& text) {
  ASSERT_EQ(SetQbytes(id, text.size()), 0) << strerror(errno);
  MaybeSave();
  ASSERT_OK(Send(id, 1, text, IPC_NOWAIT));
  MaybeSave();
}

// Gives child time to block in its call (with a MaybeSave() while it is
// blocked) and expects it to be still running; what is the failure message.
inline void ExpectBlocked(AsyncChild& child, const char* what) {
  ASSERT_TRUE(child.started());
  SleepMs(kBlockDelayMs);
  MaybeSave();
  EXPECT_TRUE(child.Running()) << what;
}

// In a child, with a repeating SIGALRM whose handler has SA_RESTART: the
// blocking call must fail with EINTR after at least one signal.
inline void ExpectEintrEvenWithSaRestart(const std::function<long()>& call) {
  EXPECT_CHILD_OK([&] {
    g_signals = 0;
    ASSERT_NO_FATAL_FAILURE(ArmRestartingAlarm());
    errno = 0;
    long r = call();
    int e = errno;
    DisarmAlarm();
    EXPECT_EQ(r, -1);
    EXPECT_EQ(e, EINTR) << strerror(e);
    EXPECT_GE(g_signals.load(), 1);
  });
}

// Sets *id to the id of a queue that was created and removed again.
inline void RemovedQueueId(int* id) {
  Queue q = Queue::Private(0600);
  ASSERT_TRUE(q.ok()) << strerror(errno);
  *id = q.release();
  ASSERT_EQ(MsgCtl(*id, IPC_RMID, nullptr), 0) << strerror(errno);
}

// A child running as uid/gid with capabilities caps removes queue id; the
// id is gone afterwards.
inline void ExpectRmidAs(int id, uid_t uid, gid_t gid, uint64_t caps) {
  EXPECT_CHILD_OK([&] {
    ASSERT_NO_FATAL_FAILURE(DropPrivileges(uid, gid, caps));
    EXPECT_EQ(MsgCtl(id, IPC_RMID, nullptr), 0) << strerror(errno);
  });
  struct msqid_ds ds = {};
  EXPECT_ERRNO(MsgCtl(id, IPC_STAT, &ds), EINVAL);
}

// Runs fn in a child as nobody without capabilities, then in one as nobody
// with CAP_IPC_OWNER.
inline void AsNobodyWithoutAndWithCapIpcOwner(const std::function<void()>& fn) {
  for (uint64_t caps : {uint64_t{0}, CapBit(CAP_IPC_OWNER)}) {
    SCOPED_TRACE(caps);
    EXPECT_CHILD_OK([&] {
      ASSERT_NO_FATAL_FAILURE(DropPrivileges(kNobody, kNobody, caps));
      fn();
    });
  }
}

// Creates a queue with create_mode as uid/gid 1000 (its creator), then gives
// it to uid/gid 2001 with mode; *q owns it.
inline void CreateQueueGivenAway(int create_mode, int mode, Queue* q) {
  int id = CreateQueueAs(1000, 1000, create_mode);
  ASSERT_GE(id, 0);
  *q = Queue(id);
  ASSERT_EQ(SetOwnerAndMode(id, 2001, 2001, mode), 0) << strerror(errno);
}

// msgctl(cmd) with a buffer in an unmapped page: EFAULT on a live queue,
// removed_err on a removed one.
inline void ExpectBadBufferErrnos(int cmd, int removed_err) {
  Queue q = Queue::Private(0600);
  ASSERT_TRUE(q.ok()) << strerror(errno);
  BadPage bad;
  ASSERT_NE(bad.get(), nullptr);
  EXPECT_ERRNO(MsgCtl(q.id(), cmd, bad.get()), EFAULT);
  int id = q.release();
  ASSERT_EQ(MsgCtl(id, IPC_RMID, nullptr), 0) << strerror(errno);
  EXPECT_ERRNO(MsgCtl(id, cmd, bad.get()), removed_err);
}

// IPC_STAT of id, an IPC_NOWAIT send of text (type 1) and a receive of it
// must all succeed.
inline void ExpectStatSendRecv(int id, const std::string& text) {
  struct msqid_ds ds = {};
  EXPECT_EQ(MsgCtl(id, IPC_STAT, &ds), 0) << strerror(errno);
  EXPECT_EQ(Send(id, 1, text, IPC_NOWAIT), 0) << strerror(errno);
  Received m;
  EXPECT_EQ(Recv(id, &m, 64, 0, IPC_NOWAIT), static_cast<ssize_t>(text.size()))
      << strerror(errno);
}

// MSG_INFO must count pool queues, map messages and tql bytes.
inline void ExpectMsgInfoUsage(int pool, int map, int tql) {
  struct msginfo info = {};
  ASSERT_OK(MsgCtl(0, MSG_INFO, &info));
  EXPECT_EQ(info.msgpool, pool);
  EXPECT_EQ(info.msgmap, map);
  EXPECT_EQ(info.msgtql, tql);
}

// cmd (IPC_INFO or MSG_INFO) must report these namespace limits.
inline void ExpectMsgInfoLimits(int cmd, int msgmax, int msgmnb, int msgmni) {
  struct msginfo info = {};
  ASSERT_OK(MsgCtl(0, cmd, &info));
  EXPECT_EQ(info.msgmax, msgmax);
  EXPECT_EQ(info.msgmnb, msgmnb);
  EXPECT_EQ(info.msgmni, msgmni);
}

}  // namespace mqtest

#endif  // MQSENTRY_TEST_SYSCALLS_LINUX_MSG_UTIL_H_
