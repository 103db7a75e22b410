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

// Syscall tests for System V message queues (msgget, msgsnd, msgrcv, msgctl),
// the per-IPC-namespace limits in /proc/sys/kernel and /proc/sysvipc/msg.
//
// The expected values are those of Linux 6.18 (checked natively). Tests that
// change namespace-wide settings or enumerate queues run in a forked child
// that first calls unshare(CLONE_NEWIPC), so they see a private, empty IPC
// namespace. Every test removes the queues it creates.
//
// Build (static, runs natively and under runsc):
//   g++ -std=c++17 -O1 -Wall -static -pthread -o msgqueue_test
//       test/syscalls/linux/msgqueue_test.cc -lgtest -lgtest_main

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <linux/capability.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ipc.h>
#include <sys/mman.h>
#include <sys/msg.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <climits>
#include <functional>
#include <sstream>
#include <string>
#include <vector>

#include "check_util.h"
#include "gtest/gtest.h"

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

namespace {

// MaybeSave asks runsc's save mode to checkpoint and restore the sandbox
// here (init_module is its trigger); natively it fails harmlessly.
using ::mqtest::MaybeSave;

// id = seq * kSeqMultiplier + index (IPCMNI without ipcmni_extend).
constexpr int kSeqMultiplier = 32768;
constexpr uid_t kNobody = 65534;

// Default limits of a fresh IPC namespace.
constexpr int kDefaultMsgmax = 8192;
constexpr int kDefaultMsgmnb = 16384;
constexpr int kDefaultMsgmni = 32000;

constexpr int kBlockDelayMs = 100;     // time given to a waiter to block
constexpr int kChildTimeoutMs = 10000;  // a hung child is killed after this

constexpr char kMsgmax[] = "/proc/sys/kernel/msgmax";
constexpr char kMsgmnb[] = "/proc/sys/kernel/msgmnb";
constexpr char kMsgmni[] = "/proc/sys/kernel/msgmni";
constexpr char kMsgNextId[] = "/proc/sys/kernel/msg_next_id";

// ---------------------------------------------------------------------------
// Assertion helpers.

// EXPECT_ERRNO(expr, err) is in check_util.h.

// Checks that expr does not fail with -1: CHECK_NE_ is ASSERT_NE or
// EXPECT_NE, text is #expr.
#define CHECK_OK_(CHECK_NE_, expr, text)                                   \
  do {                                                                     \
    errno = 0;                                                             \
    long _r = static_cast<long>(expr);                                     \
    CHECK_NE_(_r, -1) << text << ": " << strerror(errno);                  \
  } while (0)

// Asserts that expr does not fail with -1.
#define ASSERT_OK(expr) CHECK_OK_(ASSERT_NE, expr, #expr)
#define EXPECT_OK(expr) CHECK_OK_(EXPECT_NE, expr, #expr)

// ---------------------------------------------------------------------------
// Syscall wrappers.

// Raw msgctl: no glibc translation of cmd or of the buffer.
long MsgCtl(int id, int cmd, void* buf) {
  return syscall(SYS_msgctl, id, cmd, buf);
}

int Send(int id, long type, const std::string& text, int flags = 0) {
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
ssize_t Recv(int id, Received* out, size_t bufsz, long msgtyp, int flags) {
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

// ---------------------------------------------------------------------------
// Process helpers.

int DecodeStatus(int status) {
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
  return 255;
}

// Waits for pid for up to timeout_ms, killing it on timeout.
int WaitChild(pid_t pid, int timeout_ms) {
  int status = 0;
  for (int waited = 0;; waited += 5) {
    pid_t r = waitpid(pid, &status, WNOHANG);
    if (r == pid) return DecodeStatus(status);
    if (r < 0) return 254;
    if (waited >= timeout_ms) {
      kill(pid, SIGKILL);
      waitpid(pid, &status, 0);
      ADD_FAILURE() << "child " << pid << " timed out and was killed";
      return 253;
    }
    usleep(5000);
  }
}

// A child running fn concurrently with the test (for blocking calls). gtest
// failures inside the child are printed by the child and turn into a
// non-zero exit status.
class AsyncChild {
 public:
  explicit AsyncChild(const std::function<void()>& fn) {
    fflush(nullptr);
    pid_ = fork();
    if (pid_ == 0) {
      fn();
      fflush(nullptr);
      _exit(::testing::Test::HasFailure() ? 1 : 0);
    }
  }
  ~AsyncChild() {
    if (pid_ > 0 && !done_) {
      kill(pid_, SIGKILL);
      waitpid(pid_, nullptr, 0);
    }
  }
  bool started() const { return pid_ > 0; }
  pid_t pid() const { return pid_; }
  bool Running() {
    if (done_) return false;
    int status;
    pid_t r = waitpid(pid_, &status, WNOHANG);
    if (r == 0) return true;
    done_ = true;
    status_ = r == pid_ ? DecodeStatus(status) : 254;
    return false;
  }
  int Wait(int timeout_ms = kChildTimeoutMs) {
    if (!done_) {
      status_ = WaitChild(pid_, timeout_ms);
      done_ = true;
    }
    return status_;
  }

 private:
  pid_t pid_ = -1;
  bool done_ = false;
  int status_ = 0;
};

// Runs fn in a forked child (see AsyncChild) and waits for it.
int RunInChild(const std::function<void()>& fn,
               int timeout_ms = kChildTimeoutMs) {
  AsyncChild child(fn);
  if (!child.started()) {
    ADD_FAILURE() << "fork: " << strerror(errno);
    return 252;
  }
  return child.Wait(timeout_ms);
}

// Runs the lambda given as argument in a child (see RunInChild) and expects
// it to succeed.
#define EXPECT_CHILD_OK(...)                                              \
  do {                                                                    \
    int _status = RunInChild(__VA_ARGS__);                                \
    EXPECT_EQ(_status, 0) << "child process failed (see its output above)"; \
  } while (0)

void SleepMs(int ms) { usleep(ms * 1000); }

// ---------------------------------------------------------------------------
// Credentials.

uint64_t CapBit(int cap) { return 1ull << cap; }

bool GetCaps(uint64_t* eff, uint64_t* perm) {
  __user_cap_header_struct hdr = {_LINUX_CAPABILITY_VERSION_3, 0};
  __user_cap_data_struct data[2] = {};
  if (syscall(SYS_capget, &hdr, data) != 0) return false;
  *eff = data[0].effective | (static_cast<uint64_t>(data[1].effective) << 32);
  *perm = data[0].permitted | (static_cast<uint64_t>(data[1].permitted) << 32);
  return true;
}

bool SetCaps(uint64_t eff, uint64_t perm) {
  __user_cap_header_struct hdr = {_LINUX_CAPABILITY_VERSION_3, 0};
  __user_cap_data_struct data[2] = {};
  data[0].effective = static_cast<uint32_t>(eff);
  data[1].effective = static_cast<uint32_t>(eff >> 32);
  data[0].permitted = static_cast<uint32_t>(perm);
  data[1].permitted = static_cast<uint32_t>(perm >> 32);
  return syscall(SYS_capset, &hdr, data) == 0;
}

// Becomes uid/gid (real, effective and saved) with the given supplementary
// groups and exactly the capabilities in caps. Must be called as root.
void DropPrivileges(uid_t uid, gid_t gid, uint64_t caps,
                    std::vector<gid_t> groups = {}) {
  ASSERT_EQ(setgroups(groups.size(), groups.data()), 0) << strerror(errno);
  ASSERT_EQ(setresgid(gid, gid, gid), 0) << strerror(errno);
  ASSERT_EQ(prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0), 0) << strerror(errno);
  ASSERT_EQ(setresuid(uid, uid, uid), 0) << strerror(errno);
  ASSERT_TRUE(SetCaps(caps, caps)) << strerror(errno);
}

// Removes one capability from the effective and permitted sets.
void DropCapability(int cap) {
  uint64_t eff, perm;
  ASSERT_TRUE(GetCaps(&eff, &perm)) << strerror(errno);
  ASSERT_TRUE(SetCaps(eff & ~CapBit(cap), perm & ~CapBit(cap)))
      << strerror(errno);
}

void EnterNewIpcNamespace() {
  ASSERT_EQ(unshare(CLONE_NEWIPC), 0) << strerror(errno);
}

// Creates an IPC_PRIVATE queue from a child running as uid/gid without
// capabilities, so that cuid/cgid are uid/gid. Returns the id or -1.
int CreateQueueAs(uid_t uid, gid_t gid, int mode) {
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
long SetOwnerAndMode(int id, uid_t uid, gid_t gid, int mode) {
  struct msqid_ds ds = {};
  if (MsgCtl(id, IPC_STAT, &ds) != 0) return -1;
  ds.msg_perm.uid = uid;
  ds.msg_perm.gid = gid;
  ds.msg_perm.mode = mode;
  return MsgCtl(id, IPC_SET, &ds);
}

long SetQbytes(int id, unsigned long qbytes) {
  struct msqid_ds ds = {};
  if (MsgCtl(id, IPC_STAT, &ds) != 0) return -1;
  ds.msg_qbytes = qbytes;
  return MsgCtl(id, IPC_SET, &ds);
}

// ---------------------------------------------------------------------------
// Files.

bool ReadFile(const std::string& path, std::string* out) {
  int fd = open(path.c_str(), O_RDONLY);
  if (fd < 0) return false;
  out->clear();
  char buf[4096];
  ssize_t n;
  while ((n = read(fd, buf, sizeof(buf))) > 0) out->append(buf, n);
  close(fd);
  return n == 0;
}

// Reads an integer from a /proc file; returns fallback on error.
long ReadProcInt(const char* path, long fallback = -12345) {
  std::string s;
  if (!ReadFile(path, &s)) return fallback;
  return strtol(s.c_str(), nullptr, 10);
}

bool WriteProc(const char* path, long value) {
  int fd = open(path, O_WRONLY);
  if (fd < 0) return false;
  std::string s = std::to_string(value) + "\n";
  bool ok = write(fd, s.data(), s.size()) == static_cast<ssize_t>(s.size());
  close(fd);
  return ok;
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

// Counts signals for the EINTR tests.
volatile sig_atomic_t g_signals = 0;
void CountSignal(int) { g_signals = g_signals + 1; }

// Installs a SIGALRM handler with SA_RESTART and starts a repeating 50 ms
// ITIMER_REAL, so that whichever blocking call follows gets interrupted.
void ArmRestartingAlarm() {
  struct sigaction sa = {};
  sa.sa_handler = CountSignal;
  sa.sa_flags = SA_RESTART;
  sigemptyset(&sa.sa_mask);
  ASSERT_EQ(sigaction(SIGALRM, &sa, nullptr), 0);
  struct itimerval it = {{0, 50000}, {0, 50000}};
  ASSERT_EQ(setitimer(ITIMER_REAL, &it, nullptr), 0);
}

void DisarmAlarm() {
  struct itimerval off = {};
  setitimer(ITIMER_REAL, &off, nullptr);
}

// ---------------------------------------------------------------------------
// Steps shared by the cases. The void ones use gtest assertions: call them
// in ASSERT_NO_FATAL_FAILURE so that a fatal failure also ends the case.

struct Message {
  long type;
  std::string text;
};

// Sends a message, asserting success, then calls MaybeSave().
void SendThenSave(int id, long type, const std::string& text) {
  errno = 0;
  ASSERT_NE(Send(id, type, text), -1)
      << "Send(" << id << ", " << type << ", \"" << text
      << "\"): " << strerror(errno);
  MaybeSave();
}

// SendThenSave for each of msgs in order.
void SendAll(int id, const std::vector<Message>& msgs) {
  for (const Message& m : msgs) {
    ASSERT_NO_FATAL_FAILURE(SendThenSave(id, m.type, m.text));
  }
}

// Receives with msgrcv(id, bufsz, msgtyp, flags), asserting that it returns
// want.text.size(), and expects the message to be want.
void ExpectRecv(int id, long msgtyp, int flags, const Message& want,
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
void ExpectQueued(int id, unsigned long qnum, long cbytes = -1) {
  struct msqid_ds ds = {};
  ASSERT_EQ(MsgCtl(id, IPC_STAT, &ds), 0) << strerror(errno);
  EXPECT_EQ(ds.msg_qnum, qnum);
  if (cbytes != -1) {
    EXPECT_EQ(ds.__msg_cbytes, static_cast<unsigned long>(cbytes));
  }
}

// Sets the queue's qbytes to text.size() and fills it with one message of
// type 1, with a MaybeSave() after each step: another send then blocks.
void FillQueue(int id, const std::string& text) {
  ASSERT_EQ(SetQbytes(id, text.size()), 0) << strerror(errno);
  MaybeSave();
  ASSERT_OK(Send(id, 1, text, IPC_NOWAIT));
  MaybeSave();
}

// Gives child time to block in its call (with a MaybeSave() while it is
// blocked) and expects it to be still running; what is the failure message.
void ExpectBlocked(AsyncChild& child, const char* what) {
  ASSERT_TRUE(child.started());
  SleepMs(kBlockDelayMs);
  MaybeSave();
  EXPECT_TRUE(child.Running()) << what;
}

// In a child, with a repeating SIGALRM whose handler has SA_RESTART: the
// blocking call must fail with EINTR after at least one signal.
void ExpectEintrEvenWithSaRestart(const std::function<long()>& call) {
  EXPECT_CHILD_OK([&] {
    g_signals = 0;
    ASSERT_NO_FATAL_FAILURE(ArmRestartingAlarm());
    errno = 0;
    long r = call();
    int e = errno;
    DisarmAlarm();
    EXPECT_EQ(r, -1);
    EXPECT_EQ(e, EINTR) << strerror(e);
    EXPECT_GE(g_signals, 1);
  });
}

// Sets *id to the id of a queue that was created and removed again.
void RemovedQueueId(int* id) {
  Queue q = Queue::Private(0600);
  ASSERT_TRUE(q.ok()) << strerror(errno);
  *id = q.release();
  ASSERT_EQ(MsgCtl(*id, IPC_RMID, nullptr), 0) << strerror(errno);
}

// A child running as uid/gid with capabilities caps removes queue id; the
// id is gone afterwards.
void ExpectRmidAs(int id, uid_t uid, gid_t gid, uint64_t caps) {
  EXPECT_CHILD_OK([&] {
    ASSERT_NO_FATAL_FAILURE(DropPrivileges(uid, gid, caps));
    EXPECT_EQ(MsgCtl(id, IPC_RMID, nullptr), 0) << strerror(errno);
  });
  struct msqid_ds ds = {};
  EXPECT_ERRNO(MsgCtl(id, IPC_STAT, &ds), EINVAL);
}

// Runs fn in a child as nobody without capabilities, then in one as nobody
// with CAP_IPC_OWNER.
void AsNobodyWithoutAndWithCapIpcOwner(const std::function<void()>& fn) {
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
void CreateQueueGivenAway(int create_mode, int mode, Queue* q) {
  int id = CreateQueueAs(1000, 1000, create_mode);
  ASSERT_GE(id, 0);
  *q = Queue(id);
  ASSERT_EQ(SetOwnerAndMode(id, 2001, 2001, mode), 0) << strerror(errno);
}

// msgctl(cmd) with a buffer in an unmapped page: EFAULT on a live queue,
// removed_err on a removed one.
void ExpectBadBufferErrnos(int cmd, int removed_err) {
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
void ExpectStatSendRecv(int id, const std::string& text) {
  struct msqid_ds ds = {};
  EXPECT_EQ(MsgCtl(id, IPC_STAT, &ds), 0) << strerror(errno);
  EXPECT_EQ(Send(id, 1, text, IPC_NOWAIT), 0) << strerror(errno);
  Received m;
  EXPECT_EQ(Recv(id, &m, 64, 0, IPC_NOWAIT), static_cast<ssize_t>(text.size()))
      << strerror(errno);
}

// MSG_INFO must count pool queues, map messages and tql bytes.
void ExpectMsgInfoUsage(int pool, int map, int tql) {
  struct msginfo info = {};
  ASSERT_OK(MsgCtl(0, MSG_INFO, &info));
  EXPECT_EQ(info.msgpool, pool);
  EXPECT_EQ(info.msgmap, map);
  EXPECT_EQ(info.msgtql, tql);
}

// cmd (IPC_INFO or MSG_INFO) must report these namespace limits.
void ExpectMsgInfoLimits(int cmd, int msgmax, int msgmnb, int msgmni) {
  struct msginfo info = {};
  ASSERT_OK(MsgCtl(0, cmd, &info));
  EXPECT_EQ(info.msgmax, msgmax);
  EXPECT_EQ(info.msgmnb, msgmnb);
  EXPECT_EQ(info.msgmni, msgmni);
}

// ===========================================================================
// msgget

TEST(MsgqueueTest, MsgGetPrivateAlwaysCreatesNewQueue) {
  Queue a = Queue::Private(0600);
  ASSERT_TRUE(a.ok()) << strerror(errno);
  Queue b = Queue::Private(0600);
  ASSERT_TRUE(b.ok()) << strerror(errno);
  // IPC_EXCL never conflicts for IPC_PRIVATE, and IPC_CREAT is not needed.
  Queue c(msgget(IPC_PRIVATE, IPC_CREAT | IPC_EXCL | 0600));
  ASSERT_TRUE(c.ok()) << strerror(errno);
  Queue d(msgget(IPC_PRIVATE, 0600));
  ASSERT_TRUE(d.ok()) << strerror(errno);
  EXPECT_NE(a.id(), b.id());
  EXPECT_NE(a.id(), c.id());
  EXPECT_NE(b.id(), c.id());
  EXPECT_NE(c.id(), d.id());
  EXPECT_NE(a.id(), d.id());
}

TEST(MsgqueueTest, MsgGetKeyCreateAndLookup) {
  key_t key;
  Queue q = Queue::Keyed(0600, &key);
  ASSERT_TRUE(q.ok()) << strerror(errno);
  EXPECT_EQ(msgget(key, 0), q.id());
  EXPECT_EQ(msgget(key, 0600), q.id());
  EXPECT_EQ(msgget(key, IPC_CREAT | 0600), q.id());

  struct msqid_ds ds = {};
  ASSERT_EQ(MsgCtl(q.id(), IPC_STAT, &ds), 0) << strerror(errno);
  EXPECT_EQ(ds.msg_perm.__key, key);

  // After removal the key no longer resolves.
  ASSERT_EQ(MsgCtl(q.release(), IPC_RMID, nullptr), 0) << strerror(errno);
  EXPECT_ERRNO(msgget(key, 0), ENOENT);
}

TEST(MsgqueueTest, MsgGetCreateExclusiveExistingIsEexist) {
  key_t key;
  Queue q = Queue::Keyed(0600, &key);
  ASSERT_TRUE(q.ok()) << strerror(errno);
  EXPECT_ERRNO(msgget(key, IPC_CREAT | IPC_EXCL | 0600), EEXIST);
  EXPECT_ERRNO(msgget(key, IPC_CREAT | IPC_EXCL), EEXIST);
  // EEXIST is reported even to a caller without any permission on the queue.
  EXPECT_CHILD_OK([&] {
    ASSERT_NO_FATAL_FAILURE(DropPrivileges(kNobody, kNobody, 0));
    EXPECT_ERRNO(msgget(key, IPC_CREAT | IPC_EXCL | 0600), EEXIST);
  });
}

TEST(MsgqueueTest, MsgGetMissingKeyIsEnoent) {
  key_t key = 0;
  for (int i = 0; i < 100; i++) {
    key = Queue::NewKey();
    if (msgget(key, 0) < 0 && errno == ENOENT) break;
  }
  EXPECT_ERRNO(msgget(key, 0), ENOENT);
  EXPECT_ERRNO(msgget(key, 0600), ENOENT);
  // IPC_EXCL without IPC_CREAT does not create.
  EXPECT_ERRNO(msgget(key, IPC_EXCL | 0600), ENOENT);
}

TEST(MsgqueueTest, MsgGetWithoutPermissionIsEacces) {
  key_t key;
  Queue q = Queue::Keyed(0600, &key);
  ASSERT_TRUE(q.ok()) << strerror(errno);
  EXPECT_CHILD_OK([&] {
    ASSERT_NO_FATAL_FAILURE(DropPrivileges(kNobody, kNobody, 0));
    EXPECT_ERRNO(msgget(key, 0600), EACCES);
    EXPECT_ERRNO(msgget(key, 0400), EACCES);
    EXPECT_ERRNO(msgget(key, 0200), EACCES);
    EXPECT_ERRNO(msgget(key, IPC_CREAT | 0600), EACCES);
  });
}

// Linux checks only the permission bits requested in msgflg: msgget(key, 0)
// succeeds even without any permission.
TEST(MsgqueueTest, MsgGetChecksOnlyRequestedBits) {
  key_t key;
  Queue q = Queue::Keyed(0604, &key);
  ASSERT_TRUE(q.ok()) << strerror(errno);
  int id = q.id();
  EXPECT_CHILD_OK([&] {
    ASSERT_NO_FATAL_FAILURE(DropPrivileges(kNobody, kNobody, 0));
    EXPECT_EQ(msgget(key, 0), id);
    EXPECT_EQ(msgget(key, 0400), id);
    EXPECT_EQ(msgget(key, 0004), id);
    EXPECT_ERRNO(msgget(key, 0200), EACCES);
    EXPECT_ERRNO(msgget(key, 0002), EACCES);
  });
}

TEST(MsgqueueTest, MsgGetMsgmniReachedIsEnospc) {
  EXPECT_CHILD_OK([] {
    ASSERT_NO_FATAL_FAILURE(EnterNewIpcNamespace());
    ASSERT_TRUE(WriteProc(kMsgmni, 2)) << strerror(errno);
    EXPECT_EQ(ReadProcInt(kMsgmni), 2);
    Queue a = Queue::Private(0600);
    ASSERT_TRUE(a.ok()) << strerror(errno);
    Queue b = Queue::Private(0600);
    ASSERT_TRUE(b.ok()) << strerror(errno);
    EXPECT_ERRNO(msgget(IPC_PRIVATE, IPC_CREAT | 0600), ENOSPC);
    EXPECT_ERRNO(msgget(0x1234, IPC_CREAT | 0600), ENOSPC);
    // Freeing a slot makes room again.
    b.reset();
    Queue c = Queue::Private(0600);
    EXPECT_TRUE(c.ok()) << strerror(errno);
  });
}

TEST(MsgqueueTest, MsgGetNewQueueStat) {
  long msgmnb = ReadProcInt(kMsgmnb);
  ASSERT_GT(msgmnb, 0);
  EXPECT_CHILD_OK([&] {
    // Real ids differ from effective ids: the effective ones count.
    ASSERT_EQ(setgroups(0, nullptr), 0) << strerror(errno);
    ASSERT_EQ(setresgid(3000, 1001, 3000), 0) << strerror(errno);
    ASSERT_EQ(setresuid(2000, 1000, 2000), 0) << strerror(errno);
    time_t before = time(nullptr);
    Queue q(msgget(IPC_PRIVATE, IPC_CREAT | IPC_EXCL | 0751));
    time_t after = time(nullptr);
    ASSERT_TRUE(q.ok()) << strerror(errno);
    struct msqid_ds ds = {};
    ASSERT_EQ(MsgCtl(q.id(), IPC_STAT, &ds), 0) << strerror(errno);
    EXPECT_EQ(ds.msg_perm.__key, IPC_PRIVATE);
    EXPECT_EQ(ds.msg_perm.uid, 1000u);
    EXPECT_EQ(ds.msg_perm.cuid, 1000u);
    EXPECT_EQ(ds.msg_perm.gid, 1001u);
    EXPECT_EQ(ds.msg_perm.cgid, 1001u);
    EXPECT_EQ(ds.msg_perm.mode, 0751);
    EXPECT_EQ(static_cast<long>(ds.msg_qbytes), msgmnb);
    EXPECT_EQ(ds.msg_qnum, 0u);
    EXPECT_EQ(ds.__msg_cbytes, 0u);
    EXPECT_EQ(ds.msg_lspid, 0);
    EXPECT_EQ(ds.msg_lrpid, 0);
    EXPECT_EQ(ds.msg_stime, 0);
    EXPECT_EQ(ds.msg_rtime, 0);
    EXPECT_GE(ds.msg_ctime, before);
    EXPECT_LE(ds.msg_ctime, after);
  });
}

// ===========================================================================
// msgsnd

TEST(MsgqueueTest, MsgSndInvalidIdIsEinval) {
  EXPECT_ERRNO(Send(-1, 1, "x"), EINVAL);
  int id;
  ASSERT_NO_FATAL_FAILURE(RemovedQueueId(&id));
  EXPECT_ERRNO(Send(id, 1, "x"), EINVAL);
  EXPECT_ERRNO(Send(id, 1, "x", IPC_NOWAIT), EINVAL);
}

TEST(MsgqueueTest, MsgSndTypeBelowOneIsEinval) {
  Queue q = Queue::Private(0600);
  ASSERT_TRUE(q.ok()) << strerror(errno);
  EXPECT_ERRNO(Send(q.id(), 0, "x"), EINVAL);
  EXPECT_ERRNO(Send(q.id(), -1, "x"), EINVAL);
  EXPECT_ERRNO(Send(q.id(), LONG_MIN, "x"), EINVAL);
  EXPECT_OK(Send(q.id(), 1, "x"));
  EXPECT_OK(Send(q.id(), LONG_MAX, "x"));
}

TEST(MsgqueueTest, MsgSndBadSizeIsEinval) {
  long msgmax = ReadProcInt(kMsgmax);
  long msgmnb = ReadProcInt(kMsgmnb);
  ASSERT_GT(msgmax, 0);
  Queue q = Queue::Private(0600);
  ASSERT_TRUE(q.ok()) << strerror(errno);
  EXPECT_ERRNO(Send(q.id(), 1, std::string(msgmax + 1, 'a')), EINVAL);
  if (msgmax <= msgmnb) {
    EXPECT_OK(Send(q.id(), 1, std::string(msgmax, 'a'), IPC_NOWAIT));
  }
  // A "negative" size.
  char buf[64] = {};
  long type = 1;
  memcpy(buf, &type, sizeof(type));
  EXPECT_ERRNO(msgsnd(q.id(), buf, static_cast<size_t>(-1), IPC_NOWAIT),
               EINVAL);
  EXPECT_ERRNO(msgsnd(q.id(), buf, static_cast<size_t>(LONG_MIN), IPC_NOWAIT),
               EINVAL);
}

TEST(MsgqueueTest, MsgSndWithoutWritePermissionIsEacces) {
  Queue q = Queue::Private(0644);
  ASSERT_TRUE(q.ok()) << strerror(errno);
  int id = q.id();
  EXPECT_CHILD_OK([&] {
    ASSERT_NO_FATAL_FAILURE(DropPrivileges(kNobody, kNobody, 0));
    EXPECT_ERRNO(Send(id, 1, "x", IPC_NOWAIT), EACCES);
    EXPECT_ERRNO(Send(id, 1, "x"), EACCES);
  });
  ASSERT_NO_FATAL_FAILURE(ExpectQueued(id, 0));
}

TEST(MsgqueueTest, MsgSndFullBytesNoWaitIsEagain) {
  Queue q = Queue::Private(0600);
  ASSERT_TRUE(q.ok()) << strerror(errno);
  ASSERT_EQ(SetQbytes(q.id(), 10), 0) << strerror(errno);
  MaybeSave();
  EXPECT_OK(Send(q.id(), 1, "123456", IPC_NOWAIT));
  // cbytes + size > qbytes.
  EXPECT_ERRNO(Send(q.id(), 1, "12345", IPC_NOWAIT), EAGAIN);
  // cbytes + size == qbytes still fits.
  EXPECT_OK(Send(q.id(), 1, "1234", IPC_NOWAIT));
  EXPECT_ERRNO(Send(q.id(), 1, "1", IPC_NOWAIT), EAGAIN);
  ASSERT_NO_FATAL_FAILURE(ExpectQueued(q.id(), 2, 10));
}

TEST(MsgqueueTest, MsgSndFullCountNoWaitIsEagain) {
  Queue q = Queue::Private(0600);
  ASSERT_TRUE(q.ok()) << strerror(errno);
  ASSERT_EQ(SetQbytes(q.id(), 2), 0) << strerror(errno);
  MaybeSave();
  // Zero-length messages: only qnum + 1 > qbytes limits them.
  EXPECT_OK(Send(q.id(), 1, "", IPC_NOWAIT));
  EXPECT_OK(Send(q.id(), 1, "", IPC_NOWAIT));
  EXPECT_ERRNO(Send(q.id(), 1, "", IPC_NOWAIT), EAGAIN);
  ASSERT_NO_FATAL_FAILURE(ExpectQueued(q.id(), 2, 0));
}

TEST(MsgqueueTest, MsgSndBlocksUntilReceive) {
  Queue q = Queue::Private(0600);
  ASSERT_TRUE(q.ok()) << strerror(errno);
  int id = q.id();
  ASSERT_NO_FATAL_FAILURE(FillQueue(id, "0123456789"));

  AsyncChild sender(
      [&] { EXPECT_EQ(Send(id, 2, "hello"), 0) << strerror(errno); });
  ASSERT_NO_FATAL_FAILURE(
      ExpectBlocked(sender, "msgsnd did not block on a full queue"));

  Received m;
  ASSERT_EQ(Recv(id, &m, 64, 1, IPC_NOWAIT), 10) << strerror(errno);
  EXPECT_EQ(sender.Wait(), 0);

  ASSERT_NO_FATAL_FAILURE(ExpectQueued(id, 1, 5));
  ASSERT_NO_FATAL_FAILURE(ExpectRecv(id, 0, IPC_NOWAIT, {2, "hello"}));
}

TEST(MsgqueueTest, MsgSndBlockedSenderGetsEidrmOnRemoval) {
  Queue q = Queue::Private(0600);
  ASSERT_TRUE(q.ok()) << strerror(errno);
  int id = q.id();
  ASSERT_NO_FATAL_FAILURE(FillQueue(id, "12345"));

  AsyncChild sender([&] { EXPECT_ERRNO(Send(id, 1, "x"), EIDRM); });
  ASSERT_NO_FATAL_FAILURE(
      ExpectBlocked(sender, "msgsnd did not block on a full queue"));
  ASSERT_EQ(MsgCtl(q.release(), IPC_RMID, nullptr), 0) << strerror(errno);
  EXPECT_EQ(sender.Wait(), 0);
}

// SysV IPC calls are never restarted: EINTR even with SA_RESTART.
TEST(MsgqueueTest, MsgSndInterruptedBySignalIsEintrEvenWithSaRestart) {
  Queue q = Queue::Private(0600);
  ASSERT_TRUE(q.ok()) << strerror(errno);
  int id = q.id();
  ASSERT_NO_FATAL_FAILURE(FillQueue(id, "12345"));
  ExpectEintrEvenWithSaRestart([&] { return Send(id, 1, "x"); });
  ASSERT_NO_FATAL_FAILURE(ExpectQueued(id, 1, 5));
}

TEST(MsgqueueTest, MsgSndBadAddressIsEfault) {
  Queue q = Queue::Private(0600);
  ASSERT_TRUE(q.ok()) << strerror(errno);
  BadPage bad;
  ASSERT_NE(bad.get(), nullptr);
  EXPECT_ERRNO(msgsnd(q.id(), bad.get(), 5, IPC_NOWAIT), EFAULT);
  EXPECT_ERRNO(msgsnd(q.id(), bad.get(), 0, IPC_NOWAIT), EFAULT);

  // mtype readable, mtext in an inaccessible page.
  char* two = static_cast<char*>(mmap(nullptr, 8192, PROT_READ | PROT_WRITE,
                                      MAP_PRIVATE | MAP_ANONYMOUS, -1, 0));
  ASSERT_NE(two, MAP_FAILED);
  ASSERT_EQ(mprotect(two + 4096, 4096, PROT_NONE), 0);
  long type = 1;
  memcpy(two + 4096 - sizeof(long), &type, sizeof(long));
  EXPECT_ERRNO(msgsnd(q.id(), two + 4096 - sizeof(long), 5, IPC_NOWAIT),
               EFAULT);
  // Zero-length: mtext is not read.
  EXPECT_OK(msgsnd(q.id(), two + 4096 - sizeof(long), 0, IPC_NOWAIT));
  munmap(two, 8192);

  ASSERT_NO_FATAL_FAILURE(ExpectQueued(q.id(), 1, 0));
}

// Linux reads mtype before validating the id: a bad msgp wins over a bad id.
TEST(MsgqueueTest, MsgSndBadAddressCheckedBeforeId) {
  BadPage bad;
  ASSERT_NE(bad.get(), nullptr);
  EXPECT_ERRNO(msgsnd(-1, bad.get(), 5, IPC_NOWAIT), EFAULT);
  int id;
  ASSERT_NO_FATAL_FAILURE(RemovedQueueId(&id));
  EXPECT_ERRNO(msgsnd(id, bad.get(), 5, IPC_NOWAIT), EFAULT);
}

TEST(MsgqueueTest, MsgSndAndMsgRcvUpdateStat) {
  Queue q = Queue::Private(0600);
  ASSERT_TRUE(q.ok()) << strerror(errno);
  time_t t0 = time(nullptr);
  ASSERT_NO_FATAL_FAILURE(SendThenSave(q.id(), 3, "hello"));
  time_t t1 = time(nullptr);
  struct msqid_ds ds = {};
  ASSERT_EQ(MsgCtl(q.id(), IPC_STAT, &ds), 0) << strerror(errno);
  EXPECT_EQ(ds.msg_qnum, 1u);
  EXPECT_EQ(ds.__msg_cbytes, 5u);
  EXPECT_EQ(ds.msg_lspid, getpid());
  EXPECT_EQ(ds.msg_lrpid, 0);
  EXPECT_GE(ds.msg_stime, t0);
  EXPECT_LE(ds.msg_stime, t1);
  EXPECT_EQ(ds.msg_rtime, 0);

  Received m;
  ASSERT_EQ(Recv(q.id(), &m, 64, 0, IPC_NOWAIT), 5) << strerror(errno);
  time_t t2 = time(nullptr);
  ASSERT_EQ(MsgCtl(q.id(), IPC_STAT, &ds), 0) << strerror(errno);
  EXPECT_EQ(ds.msg_qnum, 0u);
  EXPECT_EQ(ds.__msg_cbytes, 0u);
  EXPECT_EQ(ds.msg_lspid, getpid());
  EXPECT_EQ(ds.msg_lrpid, getpid());
  EXPECT_GE(ds.msg_rtime, t1);
  EXPECT_LE(ds.msg_rtime, t2);
}

// ===========================================================================
// msgrcv

TEST(MsgqueueTest, MsgRcvTypeZeroReturnsFirstMessage) {
  Queue q = Queue::Private(0600);
  ASSERT_TRUE(q.ok()) << strerror(errno);
  ASSERT_NO_FATAL_FAILURE(SendAll(q.id(), {{3, "c"}, {1, "a"}, {2, "b"}}));
  for (const Message& want : std::vector<Message>{{3, "c"}, {1, "a"}, {2, "b"}}) {
    ASSERT_NO_FATAL_FAILURE(ExpectRecv(q.id(), 0, IPC_NOWAIT, want));
  }
  Received m;
  EXPECT_ERRNO(Recv(q.id(), &m, 64, 0, IPC_NOWAIT), ENOMSG);
}

TEST(MsgqueueTest, MsgRcvPositiveTypeFifoWithinType) {
  Queue q = Queue::Private(0600);
  ASSERT_TRUE(q.ok()) << strerror(errno);
  ASSERT_NO_FATAL_FAILURE(SendAll(
      q.id(), {{1, "a1"}, {2, "b1"}, {1, "a2"}, {2, "b2"}, {2, "b3"}}));
  for (const char* want : {"b1", "b2", "b3"}) {
    ASSERT_NO_FATAL_FAILURE(ExpectRecv(q.id(), 2, IPC_NOWAIT, {2, want}));
  }
  Received m;
  EXPECT_ERRNO(Recv(q.id(), &m, 64, 2, IPC_NOWAIT), ENOMSG);
  for (const char* want : {"a1", "a2"}) {
    ASSERT_NO_FATAL_FAILURE(ExpectRecv(q.id(), 1, IPC_NOWAIT, {1, want}));
  }
}

TEST(MsgqueueTest, MsgRcvNegativeTypeReturnsFirstOfLowestType) {
  Queue q = Queue::Private(0600);
  ASSERT_TRUE(q.ok()) << strerror(errno);
  ASSERT_NO_FATAL_FAILURE(SendAll(
      q.id(), {{2, "a"}, {3, "b"}, {1, "c"}, {1, "d"}, {5, "e"}}));
  for (const Message& want : std::vector<Message>{{1, "c"}, {1, "d"}, {2, "a"}}) {
    ASSERT_NO_FATAL_FAILURE(ExpectRecv(q.id(), -3, IPC_NOWAIT, want));
  }
  ASSERT_NO_FATAL_FAILURE(ExpectRecv(q.id(), -4, IPC_NOWAIT, {3, "b"}));
  // Only type 5 is left: nothing <= 4.
  Received m;
  EXPECT_ERRNO(Recv(q.id(), &m, 64, -4, IPC_NOWAIT), ENOMSG);
  ASSERT_EQ(Recv(q.id(), &m, 64, LONG_MIN, IPC_NOWAIT), 1) << strerror(errno);
  EXPECT_EQ(m.type, 5);
}

// A message whose type equals |msgtyp| matches (gVisor got this wrong).
TEST(MsgqueueTest, MsgRcvNegativeTypeIncludesEquality) {
  Queue q = Queue::Private(0600);
  ASSERT_TRUE(q.ok()) << strerror(errno);
  ASSERT_NO_FATAL_FAILURE(SendAll(q.id(), {{3, "three"}, {2, "two"}}));
  ASSERT_NO_FATAL_FAILURE(ExpectRecv(q.id(), -2, IPC_NOWAIT, {2, "two"}));
  Received m;
  EXPECT_ERRNO(Recv(q.id(), &m, 64, -2, IPC_NOWAIT), ENOMSG);
  ASSERT_EQ(Recv(q.id(), &m, 64, -3, IPC_NOWAIT), 5) << strerror(errno);
  EXPECT_EQ(m.type, 3);
  // Type 1 with msgtyp -1.
  ASSERT_NO_FATAL_FAILURE(SendThenSave(q.id(), 1, "one"));
  ASSERT_EQ(Recv(q.id(), &m, 64, -1, IPC_NOWAIT), 3) << strerror(errno);
  EXPECT_EQ(m.type, 1);
}

TEST(MsgqueueTest, MsgRcvExceptReturnsFirstOfOtherType) {
  Queue q = Queue::Private(0600);
  ASSERT_TRUE(q.ok()) << strerror(errno);
  ASSERT_NO_FATAL_FAILURE(
      SendAll(q.id(), {{1, "a"}, {2, "b"}, {1, "c"}, {3, "d"}}));
  ASSERT_NO_FATAL_FAILURE(ExpectRecv(q.id(), 1, IPC_NOWAIT | MSG_EXCEPT, {2, "b"}));
  ASSERT_NO_FATAL_FAILURE(ExpectRecv(q.id(), 1, IPC_NOWAIT | MSG_EXCEPT, {3, "d"}));
  Received m;
  EXPECT_ERRNO(Recv(q.id(), &m, 64, 1, IPC_NOWAIT | MSG_EXCEPT), ENOMSG);
  // MSG_EXCEPT with msgtyp 0 is the same as msgtyp 0: first message.
  ASSERT_NO_FATAL_FAILURE(ExpectRecv(q.id(), 0, IPC_NOWAIT | MSG_EXCEPT, {1, "a"}));
}

TEST(MsgqueueTest, MsgRcvTooLongIsE2bigAndMessageStays) {
  Queue q = Queue::Private(0600);
  ASSERT_TRUE(q.ok()) << strerror(errno);
  ASSERT_NO_FATAL_FAILURE(SendThenSave(q.id(), 1, "hello"));
  Received m;
  EXPECT_ERRNO(Recv(q.id(), &m, 4, 0, IPC_NOWAIT), E2BIG);
  EXPECT_ERRNO(Recv(q.id(), &m, 0, 0, 0), E2BIG);
  ASSERT_NO_FATAL_FAILURE(ExpectQueued(q.id(), 1, 5));
  ASSERT_EQ(Recv(q.id(), &m, 5, 0, IPC_NOWAIT), 5) << strerror(errno);
  EXPECT_EQ(m.text, "hello");
}

TEST(MsgqueueTest, MsgRcvNoErrorTruncatesAndRemoves) {
  Queue q = Queue::Private(0600);
  ASSERT_TRUE(q.ok()) << strerror(errno);
  ASSERT_NO_FATAL_FAILURE(SendThenSave(q.id(), 7, "hello world"));
  ASSERT_NO_FATAL_FAILURE(
      ExpectRecv(q.id(), 0, IPC_NOWAIT | MSG_NOERROR, {7, "hello"}, 5));
  ASSERT_NO_FATAL_FAILURE(ExpectQueued(q.id(), 0, 0));
}

TEST(MsgqueueTest, MsgRcvNoWaitWithoutMatchIsEnomsg) {
  Queue q = Queue::Private(0600);
  ASSERT_TRUE(q.ok()) << strerror(errno);
  Received m;
  EXPECT_ERRNO(Recv(q.id(), &m, 64, 0, IPC_NOWAIT), ENOMSG);
  ASSERT_NO_FATAL_FAILURE(SendThenSave(q.id(), 2, "x"));
  EXPECT_ERRNO(Recv(q.id(), &m, 64, 1, IPC_NOWAIT), ENOMSG);
  EXPECT_ERRNO(Recv(q.id(), &m, 64, 3, IPC_NOWAIT), ENOMSG);
  EXPECT_ERRNO(Recv(q.id(), &m, 64, -1, IPC_NOWAIT), ENOMSG);
  EXPECT_ERRNO(Recv(q.id(), &m, 64, 2, IPC_NOWAIT | MSG_EXCEPT), ENOMSG);
}

TEST(MsgqueueTest, MsgRcvInvalidArgumentsAreEinval) {
  Received m;
  EXPECT_ERRNO(Recv(-1, &m, 64, 0, IPC_NOWAIT), EINVAL);
  Queue q = Queue::Private(0600);
  ASSERT_TRUE(q.ok()) << strerror(errno);
  char buf[64];
  EXPECT_ERRNO(msgrcv(q.id(), buf, static_cast<size_t>(-1), 0, IPC_NOWAIT),
               EINVAL);
  int id = q.release();
  ASSERT_EQ(MsgCtl(id, IPC_RMID, nullptr), 0) << strerror(errno);
  EXPECT_ERRNO(Recv(id, &m, 64, 0, IPC_NOWAIT), EINVAL);
  EXPECT_ERRNO(Recv(id, &m, 64, 0, 0), EINVAL);
}

TEST(MsgqueueTest, MsgRcvWithoutReadPermissionIsEacces) {
  Queue q = Queue::Private(0622);
  ASSERT_TRUE(q.ok()) << strerror(errno);
  int id = q.id();
  ASSERT_NO_FATAL_FAILURE(SendThenSave(id, 1, "x"));
  EXPECT_CHILD_OK([&] {
    ASSERT_NO_FATAL_FAILURE(DropPrivileges(kNobody, kNobody, 0));
    Received m;
    EXPECT_ERRNO(Recv(id, &m, 64, 0, IPC_NOWAIT), EACCES);
    EXPECT_ERRNO(Recv(id, &m, 64, 0, 0), EACCES);
    // Write is granted to others.
    EXPECT_OK(Send(id, 1, "y", IPC_NOWAIT));
  });
  ASSERT_NO_FATAL_FAILURE(ExpectQueued(id, 2));
}

TEST(MsgqueueTest, MsgRcvBlocksUntilMatchingSend) {
  Queue q = Queue::Private(0600);
  ASSERT_TRUE(q.ok()) << strerror(errno);
  int id = q.id();
  AsyncChild receiver([&] {
    Received m;
    EXPECT_EQ(Recv(id, &m, 64, 2, 0), 3) << strerror(errno);
    EXPECT_EQ(m.type, 2);
    EXPECT_EQ(m.text, "two");
  });
  ASSERT_NO_FATAL_FAILURE(ExpectBlocked(receiver, "msgrcv did not block"));

  // A message of another type does not wake it.
  ASSERT_NO_FATAL_FAILURE(SendThenSave(id, 1, "one"));
  SleepMs(kBlockDelayMs);
  MaybeSave();
  EXPECT_TRUE(receiver.Running()) << "msgrcv took a non-matching message";

  ASSERT_NO_FATAL_FAILURE(SendThenSave(id, 2, "two"));
  EXPECT_EQ(receiver.Wait(), 0);

  ASSERT_NO_FATAL_FAILURE(ExpectQueued(id, 1));
  ASSERT_NO_FATAL_FAILURE(ExpectRecv(id, 0, IPC_NOWAIT, {1, "one"}));
}

TEST(MsgqueueTest, MsgRcvBlockedReceiverGetsEidrmOnRemoval) {
  Queue q = Queue::Private(0600);
  ASSERT_TRUE(q.ok()) << strerror(errno);
  int id = q.id();
  AsyncChild receiver([&] {
    Received m;
    EXPECT_ERRNO(Recv(id, &m, 64, 0, 0), EIDRM);
  });
  ASSERT_NO_FATAL_FAILURE(ExpectBlocked(receiver, "msgrcv did not block"));
  ASSERT_EQ(MsgCtl(q.release(), IPC_RMID, nullptr), 0) << strerror(errno);
  EXPECT_EQ(receiver.Wait(), 0);
}

TEST(MsgqueueTest, MsgRcvInterruptedBySignalIsEintrEvenWithSaRestart) {
  Queue q = Queue::Private(0600);
  ASSERT_TRUE(q.ok()) << strerror(errno);
  int id = q.id();
  ExpectEintrEvenWithSaRestart([&] {
    Received m;
    return Recv(id, &m, 64, 0, 0);
  });
}

TEST(MsgqueueTest, MsgRcvCopyIndexesWithoutRemoving) {
  Queue q = Queue::Private(0600);
  ASSERT_TRUE(q.ok()) << strerror(errno);
  ASSERT_NO_FATAL_FAILURE(SendAll(q.id(), {{1, "a"}, {2, "bb"}, {3, "ccc"}}));
  // msgtyp is a 0-based index in queue order.
  ASSERT_NO_FATAL_FAILURE(ExpectRecv(q.id(), 0, IPC_NOWAIT | MSG_COPY, {1, "a"}));
  ASSERT_NO_FATAL_FAILURE(ExpectRecv(q.id(), 2, IPC_NOWAIT | MSG_COPY, {3, "ccc"}));
  ASSERT_NO_FATAL_FAILURE(ExpectRecv(q.id(), 1, IPC_NOWAIT | MSG_COPY, {2, "bb"}));
  Received m;
  // Index >= qnum, and negative indexes, find nothing.
  EXPECT_ERRNO(Recv(q.id(), &m, 64, 3, IPC_NOWAIT | MSG_COPY), ENOMSG);
  EXPECT_ERRNO(Recv(q.id(), &m, 64, 100, IPC_NOWAIT | MSG_COPY), ENOMSG);
  EXPECT_ERRNO(Recv(q.id(), &m, 64, -1, IPC_NOWAIT | MSG_COPY), ENOMSG);

  // Nothing was removed and no receive was recorded.
  struct msqid_ds ds = {};
  ASSERT_EQ(MsgCtl(q.id(), IPC_STAT, &ds), 0) << strerror(errno);
  EXPECT_EQ(ds.msg_qnum, 3u);
  EXPECT_EQ(ds.__msg_cbytes, 6u);
  EXPECT_EQ(ds.msg_lrpid, 0);
  EXPECT_EQ(ds.msg_rtime, 0);

  // After a real receive, index 0 is the new head.
  ASSERT_EQ(Recv(q.id(), &m, 64, 0, IPC_NOWAIT), 1) << strerror(errno);
  EXPECT_EQ(m.text, "a");
  ASSERT_EQ(Recv(q.id(), &m, 64, 0, IPC_NOWAIT | MSG_COPY), 2)
      << strerror(errno);
  EXPECT_EQ(m.text, "bb");
  EXPECT_ERRNO(Recv(q.id(), &m, 64, 2, IPC_NOWAIT | MSG_COPY), ENOMSG);
}

TEST(MsgqueueTest, MsgRcvCopyWithoutNoWaitIsEinval) {
  Queue q = Queue::Private(0600);
  ASSERT_TRUE(q.ok()) << strerror(errno);
  ASSERT_NO_FATAL_FAILURE(SendThenSave(q.id(), 1, "a"));
  Received m;
  EXPECT_ERRNO(Recv(q.id(), &m, 64, 0, MSG_COPY), EINVAL);
  EXPECT_ERRNO(Recv(q.id(), &m, 64, 5, MSG_COPY), EINVAL);
}

TEST(MsgqueueTest, MsgRcvCopyWithExceptIsEinval) {
  Queue q = Queue::Private(0600);
  ASSERT_TRUE(q.ok()) << strerror(errno);
  ASSERT_NO_FATAL_FAILURE(SendThenSave(q.id(), 1, "a"));
  Received m;
  EXPECT_ERRNO(Recv(q.id(), &m, 64, 0, IPC_NOWAIT | MSG_COPY | MSG_EXCEPT),
               EINVAL);
  ASSERT_NO_FATAL_FAILURE(ExpectQueued(q.id(), 1));
}

// Too small a buffer: E2BIG; with MSG_NOERROR added Linux gives EINVAL
// instead of truncating.
TEST(MsgqueueTest, MsgRcvCopySmallBuffer) {
  Queue q = Queue::Private(0600);
  ASSERT_TRUE(q.ok()) << strerror(errno);
  ASSERT_NO_FATAL_FAILURE(SendThenSave(q.id(), 1, "hello"));
  Received m;
  EXPECT_ERRNO(Recv(q.id(), &m, 2, 0, IPC_NOWAIT | MSG_COPY), E2BIG);
  EXPECT_ERRNO(Recv(q.id(), &m, 2, 0, IPC_NOWAIT | MSG_COPY | MSG_NOERROR),
               EINVAL);
  // An exact fit works, with or without MSG_NOERROR.
  ASSERT_EQ(Recv(q.id(), &m, 5, 0, IPC_NOWAIT | MSG_COPY | MSG_NOERROR), 5)
      << strerror(errno);
  EXPECT_EQ(m.text, "hello");
  ASSERT_NO_FATAL_FAILURE(ExpectQueued(q.id(), 1, 5));
}

// Linux dequeues the message before copying it out: on EFAULT it is lost.
// With MSG_COPY the buffer is touched first and the message stays.
TEST(MsgqueueTest, MsgRcvBadAddressIsEfault) {
  Queue q = Queue::Private(0600);
  ASSERT_TRUE(q.ok()) << strerror(errno);
  BadPage bad;
  ASSERT_NE(bad.get(), nullptr);
  ASSERT_NO_FATAL_FAILURE(SendThenSave(q.id(), 1, "hello"));

  EXPECT_ERRNO(msgrcv(q.id(), bad.get(), 64, 0, IPC_NOWAIT | MSG_COPY),
               EFAULT);
  ASSERT_NO_FATAL_FAILURE(ExpectQueued(q.id(), 1));

  EXPECT_ERRNO(msgrcv(q.id(), bad.get(), 64, 0, IPC_NOWAIT), EFAULT);
  ASSERT_NO_FATAL_FAILURE(ExpectQueued(q.id(), 0, 0));
}

// ===========================================================================
// msgctl: IPC_STAT / IPC_SET

TEST(MsgqueueTest, IpcStatWithoutReadPermissionIsEacces) {
  Queue q = Queue::Private(0600);
  ASSERT_TRUE(q.ok()) << strerror(errno);
  Queue r = Queue::Private(0604);
  ASSERT_TRUE(r.ok()) << strerror(errno);
  int id = q.id(), readable = r.id();
  EXPECT_CHILD_OK([&] {
    ASSERT_NO_FATAL_FAILURE(DropPrivileges(kNobody, kNobody, 0));
    struct msqid_ds ds = {};
    EXPECT_ERRNO(MsgCtl(id, IPC_STAT, &ds), EACCES);
    EXPECT_EQ(MsgCtl(readable, IPC_STAT, &ds), 0) << strerror(errno);
    EXPECT_EQ(ds.msg_perm.mode, 0604);
  });
}

TEST(MsgqueueTest, IpcStatBadAddressIsEfault) {
  // The id is checked first: EINVAL for a removed queue.
  ExpectBadBufferErrnos(IPC_STAT, EINVAL);
}

TEST(MsgqueueTest, IpcSetUpdatesOwnerModeAndQbytes) {
  Queue q = Queue::Private(0600);
  ASSERT_TRUE(q.ok()) << strerror(errno);
  struct msqid_ds ds = {};
  ASSERT_EQ(MsgCtl(q.id(), IPC_STAT, &ds), 0) << strerror(errno);
  uid_t cuid = ds.msg_perm.cuid;
  gid_t cgid = ds.msg_perm.cgid;
  ds.msg_perm.uid = 1234;
  ds.msg_perm.gid = 5678;
  ds.msg_perm.mode = 07777;  // only the low 9 bits are taken
  ds.msg_qbytes = 4000;
  ds.msg_qnum = 99;  // read-only fields are ignored
  time_t before = time(nullptr);
  ASSERT_EQ(MsgCtl(q.id(), IPC_SET, &ds), 0) << strerror(errno);
  time_t after = time(nullptr);
  struct msqid_ds got = {};
  ASSERT_EQ(MsgCtl(q.id(), IPC_STAT, &got), 0) << strerror(errno);
  EXPECT_EQ(got.msg_perm.uid, 1234u);
  EXPECT_EQ(got.msg_perm.gid, 5678u);
  EXPECT_EQ(got.msg_perm.cuid, cuid);
  EXPECT_EQ(got.msg_perm.cgid, cgid);
  EXPECT_EQ(got.msg_perm.mode, 0777);
  EXPECT_EQ(got.msg_qbytes, 4000u);
  EXPECT_EQ(got.msg_qnum, 0u);
  EXPECT_GE(got.msg_ctime, before);
  EXPECT_LE(got.msg_ctime, after);
}

TEST(MsgqueueTest, IpcSetByOwner) {
  Queue q = Queue::Private(0600);
  ASSERT_TRUE(q.ok()) << strerror(errno);
  int id = q.id();
  ASSERT_EQ(SetOwnerAndMode(id, 1001, 1001, 0600), 0) << strerror(errno);
  EXPECT_CHILD_OK([&] {
    ASSERT_NO_FATAL_FAILURE(DropPrivileges(1001, 1001, 0));
    EXPECT_EQ(SetOwnerAndMode(id, 1001, 1001, 0640), 0)
        << strerror(errno);
    // Give the queue away: no longer owner nor creator.
    EXPECT_EQ(SetOwnerAndMode(id, 1002, 1001, 0666), 0)
        << strerror(errno);
    EXPECT_ERRNO(SetOwnerAndMode(id, 1001, 1001, 0666), EPERM);
  });
  struct msqid_ds ds = {};
  ASSERT_EQ(MsgCtl(id, IPC_STAT, &ds), 0) << strerror(errno);
  EXPECT_EQ(ds.msg_perm.uid, 1002u);
  EXPECT_EQ(ds.msg_perm.mode, 0666);
}

TEST(MsgqueueTest, IpcSetByCreator) {
  Queue q;
  ASSERT_NO_FATAL_FAILURE(CreateQueueGivenAway(0600, 0600, &q));
  int id = q.id();
  EXPECT_CHILD_OK([&] {
    ASSERT_NO_FATAL_FAILURE(DropPrivileges(1000, 1000, 0));
    EXPECT_EQ(SetOwnerAndMode(id, 2001, 2001, 0660), 0)
        << strerror(errno);
  });
  struct msqid_ds ds = {};
  ASSERT_EQ(MsgCtl(id, IPC_STAT, &ds), 0) << strerror(errno);
  EXPECT_EQ(ds.msg_perm.mode, 0660);
  EXPECT_EQ(ds.msg_perm.uid, 2001u);
  EXPECT_EQ(ds.msg_perm.cuid, 1000u);
  EXPECT_EQ(ds.msg_perm.cgid, 1000u);
}

TEST(MsgqueueTest, IpcSetByCapSysAdmin) {
  Queue q = Queue::Private(0600);
  ASSERT_TRUE(q.ok()) << strerror(errno);
  int id = q.id();
  struct msqid_ds ds = {};
  ASSERT_EQ(MsgCtl(id, IPC_STAT, &ds), 0) << strerror(errno);
  unsigned long qbytes = ds.msg_qbytes;
  EXPECT_CHILD_OK([&] {
    ASSERT_NO_FATAL_FAILURE(
        DropPrivileges(kNobody, kNobody, CapBit(CAP_SYS_ADMIN)));
    struct msqid_ds set = {};
    // CAP_SYS_ADMIN does not grant read permission...
    EXPECT_ERRNO(MsgCtl(id, IPC_STAT, &set), EACCES);
    // ...but does allow IPC_SET.
    set.msg_perm.uid = 0;
    set.msg_perm.gid = 0;
    set.msg_perm.mode = 0640;
    set.msg_qbytes = qbytes;
    EXPECT_EQ(MsgCtl(id, IPC_SET, &set), 0) << strerror(errno);
  });
  ASSERT_EQ(MsgCtl(id, IPC_STAT, &ds), 0) << strerror(errno);
  EXPECT_EQ(ds.msg_perm.mode, 0640);
}

TEST(MsgqueueTest, IpcSetByOtherIsEperm) {
  Queue q = Queue::Private(0666);
  ASSERT_TRUE(q.ok()) << strerror(errno);
  int id = q.id();
  // CAP_IPC_OWNER does not help either.
  AsNobodyWithoutAndWithCapIpcOwner([&] {
    struct msqid_ds ds = {};
    ASSERT_EQ(MsgCtl(id, IPC_STAT, &ds), 0) << strerror(errno);
    ds.msg_perm.mode = 0600;
    EXPECT_ERRNO(MsgCtl(id, IPC_SET, &ds), EPERM);
  });
  struct msqid_ds ds = {};
  ASSERT_EQ(MsgCtl(id, IPC_STAT, &ds), 0) << strerror(errno);
  EXPECT_EQ(ds.msg_perm.mode, 0666);
}

TEST(MsgqueueTest, IpcSetQbytesAboveMsgmnbWithoutCapSysResourceIsEperm) {
  EXPECT_CHILD_OK([] {
    ASSERT_NO_FATAL_FAILURE(EnterNewIpcNamespace());
    ASSERT_NO_FATAL_FAILURE(DropCapability(CAP_SYS_RESOURCE));
    ASSERT_TRUE(WriteProc(kMsgmnb, 1000)) << strerror(errno);
    Queue q = Queue::Private(0600);
    ASSERT_TRUE(q.ok()) << strerror(errno);
    EXPECT_EQ(SetQbytes(q.id(), 1000), 0) << strerror(errno);
    EXPECT_ERRNO(SetQbytes(q.id(), 1001), EPERM);
    EXPECT_EQ(SetQbytes(q.id(), 100), 0) << strerror(errno);
    EXPECT_EQ(SetQbytes(q.id(), 1000), 0) << strerror(errno);

    // The check is on the new value, not on the change: once msgmnb is
    // lowered below the queue's qbytes, even an IPC_SET that keeps qbytes
    // unchanged, or lowers it to a value still above msgmnb, fails.
    ASSERT_TRUE(WriteProc(kMsgmnb, 500)) << strerror(errno);
    EXPECT_ERRNO(SetOwnerAndMode(q.id(), 0, 0, 0600), EPERM);
    EXPECT_ERRNO(SetQbytes(q.id(), 800), EPERM);
    EXPECT_EQ(SetQbytes(q.id(), 500), 0) << strerror(errno);

    struct msqid_ds ds = {};
    ASSERT_EQ(MsgCtl(q.id(), IPC_STAT, &ds), 0) << strerror(errno);
    EXPECT_EQ(ds.msg_qbytes, 500u);
  });
}

TEST(MsgqueueTest, IpcSetQbytesAboveMsgmnbWithCapSysResource) {
  uint64_t eff, perm;
  ASSERT_TRUE(GetCaps(&eff, &perm)) << strerror(errno);
  if (!(eff & CapBit(CAP_SYS_RESOURCE))) {
    GTEST_SKIP() << "CAP_SYS_RESOURCE is not in the effective set";
  }
  EXPECT_CHILD_OK([] {
    ASSERT_NO_FATAL_FAILURE(EnterNewIpcNamespace());
    ASSERT_TRUE(WriteProc(kMsgmnb, 1000)) << strerror(errno);
    Queue q = Queue::Private(0600);
    ASSERT_TRUE(q.ok()) << strerror(errno);
    EXPECT_EQ(SetQbytes(q.id(), 1001), 0) << strerror(errno);
    EXPECT_EQ(SetQbytes(q.id(), 100000), 0) << strerror(errno);
    struct msqid_ds ds = {};
    ASSERT_EQ(MsgCtl(q.id(), IPC_STAT, &ds), 0) << strerror(errno);
    EXPECT_EQ(ds.msg_qbytes, 100000u);
  });
}

TEST(MsgqueueTest, IpcSetBadAddressIsEfault) {
  // Linux copies the buffer in before looking the id up: EFAULT for a
  // removed queue too.
  ExpectBadBufferErrnos(IPC_SET, EFAULT);
}

// ===========================================================================
// msgctl: IPC_RMID

TEST(MsgqueueTest, IpcRmidUnknownIdIsEinval) {
  EXPECT_ERRNO(MsgCtl(-1, IPC_RMID, nullptr), EINVAL);
  int id;
  ASSERT_NO_FATAL_FAILURE(RemovedQueueId(&id));
  EXPECT_ERRNO(MsgCtl(id, IPC_RMID, nullptr), EINVAL);
}

TEST(MsgqueueTest, IpcRmidByOtherIsEperm) {
  Queue q = Queue::Private(0666);
  ASSERT_TRUE(q.ok()) << strerror(errno);
  int id = q.id();
  AsNobodyWithoutAndWithCapIpcOwner(
      [&] { EXPECT_ERRNO(MsgCtl(id, IPC_RMID, nullptr), EPERM); });
  struct msqid_ds ds = {};
  EXPECT_EQ(MsgCtl(id, IPC_STAT, &ds), 0) << strerror(errno);
}

TEST(MsgqueueTest, IpcRmidByOwner) {
  Queue q = Queue::Private(0600);
  ASSERT_TRUE(q.ok()) << strerror(errno);
  int id = q.id();
  ASSERT_EQ(SetOwnerAndMode(id, 1001, 1001, 0000), 0) << strerror(errno);
  ExpectRmidAs(id, 1001, 1001, 0);
}

TEST(MsgqueueTest, IpcRmidByCreator) {
  Queue q;
  ASSERT_NO_FATAL_FAILURE(CreateQueueGivenAway(0600, 0000, &q));
  int id = q.id();
  ExpectRmidAs(id, 1000, 1000, 0);
}

TEST(MsgqueueTest, IpcRmidByCapSysAdmin) {
  Queue q = Queue::Private(0600);
  ASSERT_TRUE(q.ok()) << strerror(errno);
  ExpectRmidAs(q.id(), kNobody, kNobody, CapBit(CAP_SYS_ADMIN));
}

TEST(MsgqueueTest, IpcRmidWakesAllWaitersWithEidrm) {
  Queue q = Queue::Private(0600);
  ASSERT_TRUE(q.ok()) << strerror(errno);
  int id = q.id();
  ASSERT_NO_FATAL_FAILURE(FillQueue(id, "12345"));
  // A sender blocked on the full queue and a receiver waiting for type 2.
  AsyncChild sender([&] { EXPECT_ERRNO(Send(id, 1, "x"), EIDRM); });
  AsyncChild receiver([&] {
    Received m;
    EXPECT_ERRNO(Recv(id, &m, 64, 2, 0), EIDRM);
  });
  AsyncChild receiver2([&] {
    Received m;
    EXPECT_ERRNO(Recv(id, &m, 64, 1, MSG_EXCEPT), EIDRM);
  });
  ASSERT_TRUE(sender.started());
  ASSERT_TRUE(receiver.started());
  ASSERT_TRUE(receiver2.started());
  SleepMs(kBlockDelayMs);
  MaybeSave();
  EXPECT_TRUE(sender.Running());
  EXPECT_TRUE(receiver.Running());
  EXPECT_TRUE(receiver2.Running());
  ASSERT_EQ(MsgCtl(q.release(), IPC_RMID, nullptr), 0) << strerror(errno);
  EXPECT_EQ(sender.Wait(), 0);
  EXPECT_EQ(receiver.Wait(), 0);
  EXPECT_EQ(receiver2.Wait(), 0);
}

// ===========================================================================
// msgctl: IPC_INFO / MSG_INFO / MSG_STAT / MSG_STAT_ANY

TEST(MsgqueueTest, IpcInfoAndMsgInfoReturnHighestUsedIndex) {
  EXPECT_CHILD_OK([] {
    ASSERT_NO_FATAL_FAILURE(EnterNewIpcNamespace());
    struct msginfo info = {};
    // Empty namespace: 0.
    EXPECT_EQ(MsgCtl(0, IPC_INFO, &info), 0) << strerror(errno);
    EXPECT_EQ(MsgCtl(0, MSG_INFO, &info), 0) << strerror(errno);

    Queue a = Queue::Private(0600);
    Queue b = Queue::Private(0600);
    Queue c = Queue::Private(0600);
    ASSERT_TRUE(a.ok() && b.ok() && c.ok()) << strerror(errno);
    int ia = a.id() % kSeqMultiplier;
    int ib = b.id() % kSeqMultiplier;
    int ic = c.id() % kSeqMultiplier;
    EXPECT_EQ(ia, 0);
    EXPECT_EQ(ib, 1);
    EXPECT_EQ(ic, 2);
    EXPECT_EQ(MsgCtl(0, IPC_INFO, &info), ic) << strerror(errno);

    b.reset();  // remove the middle one
    EXPECT_EQ(MsgCtl(0, IPC_INFO, &info), ic) << strerror(errno);
    EXPECT_EQ(MsgCtl(0, MSG_INFO, &info), ic) << strerror(errno);
    // The msqid argument is ignored.
    EXPECT_EQ(MsgCtl(12345, IPC_INFO, &info), ic) << strerror(errno);

    c.reset();  // the highest index goes down to the next used one
    EXPECT_EQ(MsgCtl(0, IPC_INFO, &info), ia) << strerror(errno);
    EXPECT_EQ(MsgCtl(0, MSG_INFO, &info), ia) << strerror(errno);
    a.reset();
    EXPECT_EQ(MsgCtl(0, IPC_INFO, &info), 0) << strerror(errno);
  });
}

TEST(MsgqueueTest, MsgInfoCountsQueuesMessagesAndBytes) {
  EXPECT_CHILD_OK([] {
    ASSERT_NO_FATAL_FAILURE(EnterNewIpcNamespace());
    ASSERT_NO_FATAL_FAILURE(ExpectMsgInfoUsage(0, 0, 0));

    Queue a = Queue::Private(0600);
    Queue b = Queue::Private(0600);
    ASSERT_TRUE(a.ok() && b.ok()) << strerror(errno);
    ASSERT_OK(Send(a.id(), 1, "x"));
    ASSERT_OK(Send(a.id(), 1, "yy"));
    ASSERT_OK(Send(b.id(), 1, "zzz"));
    ASSERT_OK(Send(b.id(), 1, ""));
    // 2 queues, 4 messages, 6 bytes.
    ASSERT_NO_FATAL_FAILURE(ExpectMsgInfoUsage(2, 4, 6));

    Received m;
    ASSERT_EQ(Recv(a.id(), &m, 64, 0, IPC_NOWAIT), 1);
    ASSERT_NO_FATAL_FAILURE(ExpectMsgInfoUsage(2, 3, 5));

    b.reset();
    ASSERT_NO_FATAL_FAILURE(ExpectMsgInfoUsage(1, 1, 2));
  });
}

TEST(MsgqueueTest, IpcInfoReportsNamespaceLimits) {
  EXPECT_CHILD_OK([] {
    ASSERT_NO_FATAL_FAILURE(EnterNewIpcNamespace());
    ASSERT_NO_FATAL_FAILURE(ExpectMsgInfoLimits(
        IPC_INFO, kDefaultMsgmax, kDefaultMsgmnb, kDefaultMsgmni));

    ASSERT_TRUE(WriteProc(kMsgmax, 4000)) << strerror(errno);
    ASSERT_TRUE(WriteProc(kMsgmnb, 5000)) << strerror(errno);
    ASSERT_TRUE(WriteProc(kMsgmni, 77)) << strerror(errno);
    ASSERT_NO_FATAL_FAILURE(ExpectMsgInfoLimits(IPC_INFO, 4000, 5000, 77));
    // MSG_INFO reports the same limits.
    ASSERT_NO_FATAL_FAILURE(ExpectMsgInfoLimits(MSG_INFO, 4000, 5000, 77));
  });
}

TEST(MsgqueueTest, IpcInfoBadAddressIsEfault) {
  BadPage bad;
  ASSERT_NE(bad.get(), nullptr);
  EXPECT_ERRNO(MsgCtl(0, IPC_INFO, bad.get()), EFAULT);
  EXPECT_ERRNO(MsgCtl(0, MSG_INFO, bad.get()), EFAULT);
}

TEST(MsgqueueTest, MsgStatTakesIndexAndReturnsId) {
  EXPECT_CHILD_OK([] {
    ASSERT_NO_FATAL_FAILURE(EnterNewIpcNamespace());
    // Make the id differ from its index: seq 3, index 5.
    const int want = 3 * kSeqMultiplier + 5;
    ASSERT_TRUE(WriteProc(kMsgNextId, want)) << strerror(errno);
    Queue q = Queue::Private(0640);
    ASSERT_TRUE(q.ok()) << strerror(errno);
    ASSERT_EQ(q.id(), want);
    ASSERT_NO_FATAL_FAILURE(SendThenSave(q.id(), 1, "abc"));

    struct msqid_ds ds = {};
    EXPECT_EQ(MsgCtl(5, MSG_STAT, &ds), want) << strerror(errno);
    EXPECT_EQ(ds.msg_perm.mode, 0640);
    EXPECT_EQ(ds.msg_qnum, 1u);
    EXPECT_EQ(ds.__msg_cbytes, 3u);
    ds = {};
    EXPECT_EQ(MsgCtl(5, MSG_STAT_ANY, &ds), want) << strerror(errno);
    EXPECT_EQ(ds.msg_perm.mode, 0640);
    EXPECT_EQ(ds.msg_qnum, 1u);
    // Linux takes the index from the low 15 bits of the
    // argument and ignores the sequence bits.
    EXPECT_EQ(MsgCtl(want, MSG_STAT, &ds), want) << strerror(errno);
    EXPECT_EQ(MsgCtl(9 * kSeqMultiplier + 5, MSG_STAT, &ds), want)
        << strerror(errno);
    EXPECT_ERRNO(MsgCtl(3 * kSeqMultiplier + 4, MSG_STAT, &ds),
                 EINVAL);
    // And IPC_STAT takes the id, not the index.
    EXPECT_EQ(MsgCtl(want, IPC_STAT, &ds), 0) << strerror(errno);
    EXPECT_ERRNO(MsgCtl(5, IPC_STAT, &ds), EINVAL);
  });
}

TEST(MsgqueueTest, MsgStatEmptyIndexIsEinval) {
  EXPECT_CHILD_OK([] {
    ASSERT_NO_FATAL_FAILURE(EnterNewIpcNamespace());
    struct msqid_ds ds = {};
    EXPECT_ERRNO(MsgCtl(0, MSG_STAT, &ds), EINVAL);
    EXPECT_ERRNO(MsgCtl(0, MSG_STAT_ANY, &ds), EINVAL);
    Queue q = Queue::Private(0600);
    ASSERT_TRUE(q.ok()) << strerror(errno);
    int idx = q.id() % kSeqMultiplier;
    EXPECT_EQ(MsgCtl(idx, MSG_STAT, &ds), q.id()) << strerror(errno);
    EXPECT_ERRNO(MsgCtl(idx + 1, MSG_STAT, &ds), EINVAL);
    EXPECT_ERRNO(MsgCtl(-1, MSG_STAT, &ds), EINVAL);
    q.reset();
    EXPECT_ERRNO(MsgCtl(idx, MSG_STAT, &ds), EINVAL);
  });
}

TEST(MsgqueueTest, MsgStatAnyWorksWithoutReadPermission) {
  EXPECT_CHILD_OK([] {
    ASSERT_NO_FATAL_FAILURE(EnterNewIpcNamespace());
    Queue q = Queue::Private(0600);
    ASSERT_TRUE(q.ok()) << strerror(errno);
    int id = q.id();
    int idx = id % kSeqMultiplier;
    EXPECT_CHILD_OK([&] {
      ASSERT_NO_FATAL_FAILURE(
          DropPrivileges(kNobody, kNobody, 0));
      struct msqid_ds ds = {};
      EXPECT_ERRNO(MsgCtl(idx, MSG_STAT, &ds), EACCES);
      EXPECT_ERRNO(MsgCtl(id, IPC_STAT, &ds), EACCES);
      EXPECT_EQ(MsgCtl(idx, MSG_STAT_ANY, &ds), id)
          << strerror(errno);
      EXPECT_EQ(ds.msg_perm.mode, 0600);
      EXPECT_EQ(ds.msg_perm.uid, 0u);
    });
  });
}

TEST(MsgqueueTest, UnknownCmdIsEinval) {
  Queue q = Queue::Private(0600);
  ASSERT_TRUE(q.ok()) << strerror(errno);
  struct msqid_ds ds = {};
  for (int cmd : {-1, 4, 5, 10, 14, 15, 99, 0x100 | 99}) {
    SCOPED_TRACE(cmd);
    EXPECT_ERRNO(MsgCtl(q.id(), cmd, &ds), EINVAL);
  }
  // The queue is untouched.
  EXPECT_EQ(MsgCtl(q.id(), IPC_STAT, &ds), 0) << strerror(errno);
}

// ===========================================================================
// Permission classes.

// The creator keeps owner bits after IPC_SET gave the queue to another uid;
// owner bits take precedence over group bits.
TEST(MsgqueueTest, CreatorUidGetsOwnerBits) {
  Queue q;
  ASSERT_NO_FATAL_FAILURE(CreateQueueGivenAway(0600, 0600, &q));
  int id = q.id();
  // Creator.
  EXPECT_CHILD_OK([&] {
    ASSERT_NO_FATAL_FAILURE(DropPrivileges(1000, 3000, 0));
    ExpectStatSendRecv(id, "c");
  });
  // Current owner.
  EXPECT_CHILD_OK([&] {
    ASSERT_NO_FATAL_FAILURE(DropPrivileges(2001, 3000, 0));
    struct msqid_ds ds = {};
    EXPECT_EQ(MsgCtl(id, IPC_STAT, &ds), 0) << strerror(errno);
  });
  // Anyone else.
  EXPECT_CHILD_OK([&] {
    ASSERT_NO_FATAL_FAILURE(DropPrivileges(3000, 3000, 0));
    struct msqid_ds ds = {};
    EXPECT_ERRNO(MsgCtl(id, IPC_STAT, &ds), EACCES);
    EXPECT_ERRNO(Send(id, 1, "c", IPC_NOWAIT), EACCES);
  });
  // Owner class wins over group class: mode 0060 denies the creator even
  // though it is in the queue's group.
  ASSERT_EQ(SetOwnerAndMode(id, 2001, 2001, 0060), 0) << strerror(errno);
  EXPECT_CHILD_OK([&] {
    ASSERT_NO_FATAL_FAILURE(DropPrivileges(1000, 2001, 0));
    struct msqid_ds ds = {};
    EXPECT_ERRNO(MsgCtl(id, IPC_STAT, &ds), EACCES);
  });
}

// Group bits apply if egid or a supplementary group matches gid or cgid.
TEST(MsgqueueTest, CreatorGidGetsGroupBits) {
  Queue q;
  ASSERT_NO_FATAL_FAILURE(CreateQueueGivenAway(0640, 0640, &q));
  int id = q.id();
  struct Case {
    gid_t gid;
    std::vector<gid_t> groups;
    bool readable;
  };
  std::vector<Case> cases = {
      {1000, {}, true},            // egid == cgid
      {2001, {}, true},            // egid == gid
      {3000, {1000}, true},        // supplementary == cgid
      {3000, {2001}, true},        // supplementary == gid
      {3000, {}, false},           // other
      {3000, {4000, 4001}, false}, // other
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.gid);
    EXPECT_CHILD_OK([&] {
      ASSERT_NO_FATAL_FAILURE(DropPrivileges(3000, c.gid, 0, c.groups));
      struct msqid_ds ds = {};
      if (c.readable) {
        EXPECT_EQ(MsgCtl(id, IPC_STAT, &ds), 0) << strerror(errno);
        // Group has no write bit.
        EXPECT_ERRNO(Send(id, 1, "x", IPC_NOWAIT), EACCES);
      } else {
        EXPECT_ERRNO(MsgCtl(id, IPC_STAT, &ds), EACCES);
      }
    });
  }
}

TEST(MsgqueueTest, CapIpcOwnerOverridesPermissions) {
  key_t key;
  Queue q = Queue::Keyed(0000, &key);
  ASSERT_TRUE(q.ok()) << strerror(errno);
  int id = q.id();
  EXPECT_CHILD_OK([&] {
    ASSERT_NO_FATAL_FAILURE(
        DropPrivileges(kNobody, kNobody, CapBit(CAP_IPC_OWNER)));
    EXPECT_EQ(msgget(key, 0666), id) << strerror(errno);
    ExpectStatSendRecv(id, "x");
  });
  // Without it, nothing is allowed.
  EXPECT_CHILD_OK([&] {
    ASSERT_NO_FATAL_FAILURE(DropPrivileges(kNobody, kNobody, 0));
    EXPECT_ERRNO(msgget(key, 0400), EACCES);
    struct msqid_ds ds = {};
    EXPECT_ERRNO(MsgCtl(id, IPC_STAT, &ds), EACCES);
    EXPECT_ERRNO(Send(id, 1, "x", IPC_NOWAIT), EACCES);
  });
  // Even the owner (root) is denied on a mode 0 queue without CAP_IPC_OWNER;
  // CAP_DAC_OVERRIDE does not apply to SysV IPC.
  EXPECT_CHILD_OK([&] {
    ASSERT_NO_FATAL_FAILURE(DropCapability(CAP_IPC_OWNER));
    struct msqid_ds ds = {};
    EXPECT_ERRNO(MsgCtl(id, IPC_STAT, &ds), EACCES);
    EXPECT_ERRNO(Send(id, 1, "x", IPC_NOWAIT), EACCES);
    // The owner may still IPC_SET.
    ds.msg_perm.uid = 0;
    ds.msg_perm.gid = 0;
    ds.msg_perm.mode = 0000;
    ds.msg_qbytes = 100;
    EXPECT_EQ(MsgCtl(id, IPC_SET, &ds), 0) << strerror(errno);
  });
}

// ===========================================================================
// Ids.

// Indexes are allocated cyclically (Linux: over [0, max(64, in_use*3/2))),
// so a freed index is not reused at once; when the allocation wraps around,
// the sequence number goes up and the id becomes seq * 32768 + index.
TEST(MsgqueueTest, IdsCycleThroughIndexesAndBumpSequence) {
  EXPECT_CHILD_OK([] {
    ASSERT_NO_FATAL_FAILURE(EnterNewIpcNamespace());
    for (int i = 0; i < 64; i++) {
      int id = msgget(IPC_PRIVATE, 0600);
      ASSERT_GE(id, 0) << strerror(errno);
      EXPECT_EQ(id, i);
      ASSERT_EQ(MsgCtl(id, IPC_RMID, nullptr), 0) << strerror(errno);
    }
    Queue q0 = Queue::Private(0600);
    ASSERT_TRUE(q0.ok()) << strerror(errno);
    EXPECT_EQ(q0.id(), 1 * kSeqMultiplier + 0);
    Queue q1 = Queue::Private(0600);
    ASSERT_TRUE(q1.ok()) << strerror(errno);
    EXPECT_EQ(q1.id(), 1 * kSeqMultiplier + 1);
    // The old ids of the reused slots are stale.
    struct msqid_ds ds = {};
    EXPECT_ERRNO(MsgCtl(0, IPC_STAT, &ds), EINVAL);
    EXPECT_ERRNO(MsgCtl(1, IPC_STAT, &ds), EINVAL);
    // MSG_STAT by index finds the new ids.
    EXPECT_EQ(MsgCtl(0, MSG_STAT, &ds), q0.id());
    EXPECT_EQ(MsgCtl(1, MSG_STAT, &ds), q1.id());
  });
}

TEST(MsgqueueTest, MsgNextIdPicksNextIdThenResets) {
  EXPECT_CHILD_OK([] {
    ASSERT_NO_FATAL_FAILURE(EnterNewIpcNamespace());
    EXPECT_EQ(ReadProcInt(kMsgNextId), -1);
    const int want = 7 * kSeqMultiplier + 12;
    ASSERT_TRUE(WriteProc(kMsgNextId, want)) << strerror(errno);
    EXPECT_EQ(ReadProcInt(kMsgNextId), want);
    Queue q = Queue::Private(0600);
    ASSERT_TRUE(q.ok()) << strerror(errno);
    EXPECT_EQ(q.id(), want);
    EXPECT_EQ(ReadProcInt(kMsgNextId), -1);
    // The next queue is allocated normally (first free index of
    // a fresh namespace, sequence 0).
    Queue r = Queue::Private(0600);
    ASSERT_TRUE(r.ok()) << strerror(errno);
    EXPECT_EQ(r.id(), 0);
    // It also applies to keyed queues.
    ASSERT_TRUE(WriteProc(kMsgNextId, 2 * kSeqMultiplier + 40));
    Queue k(msgget(0x4d51, IPC_CREAT | IPC_EXCL | 0600));
    ASSERT_TRUE(k.ok()) << strerror(errno);
    EXPECT_EQ(k.id(), 2 * kSeqMultiplier + 40);
    EXPECT_EQ(msgget(0x4d51, 0), k.id());
    EXPECT_EQ(ReadProcInt(kMsgNextId), -1);
  });
}

TEST(MsgqueueTest, StaleIdAfterSlotReuseIsEinval) {
  EXPECT_CHILD_OK([] {
    ASSERT_NO_FATAL_FAILURE(EnterNewIpcNamespace());
    const int old_id = 7;
    const int new_id = kSeqMultiplier + 7;  // same index 7
    ASSERT_TRUE(WriteProc(kMsgNextId, old_id)) << strerror(errno);
    Queue old_q = Queue::Private(0600);
    ASSERT_EQ(old_q.id(), old_id) << strerror(errno);
    old_q.reset();
    ASSERT_TRUE(WriteProc(kMsgNextId, new_id)) << strerror(errno);
    Queue q = Queue::Private(0600);
    ASSERT_EQ(q.id(), new_id) << strerror(errno);
    ASSERT_OK(Send(new_id, 1, "x"));

    struct msqid_ds ds = {};
    Received m;
    EXPECT_ERRNO(MsgCtl(old_id, IPC_STAT, &ds), EINVAL);
    EXPECT_ERRNO(Send(old_id, 1, "x", IPC_NOWAIT), EINVAL);
    EXPECT_ERRNO(Recv(old_id, &m, 64, 0, IPC_NOWAIT), EINVAL);
    ASSERT_EQ(MsgCtl(new_id, IPC_STAT, &ds), 0) << strerror(errno);
    EXPECT_ERRNO(MsgCtl(old_id, IPC_SET, &ds), EINVAL);
    EXPECT_ERRNO(MsgCtl(old_id, IPC_RMID, nullptr), EINVAL);
    // The live queue was not affected.
    ASSERT_EQ(MsgCtl(new_id, IPC_STAT, &ds), 0) << strerror(errno);
    EXPECT_EQ(ds.msg_qnum, 1u);
  });
}

// ===========================================================================
// Limits in /proc/sys/kernel and /proc/sysvipc/msg.

TEST(MsgqueueTest, NewNamespaceHasDefaultLimits) {
  EXPECT_CHILD_OK([] {
    ASSERT_NO_FATAL_FAILURE(EnterNewIpcNamespace());
    EXPECT_EQ(ReadProcInt(kMsgmax), kDefaultMsgmax);
    EXPECT_EQ(ReadProcInt(kMsgmnb), kDefaultMsgmnb);
    EXPECT_EQ(ReadProcInt(kMsgmni), kDefaultMsgmni);
    EXPECT_EQ(ReadProcInt(kMsgNextId), -1);
  });
}

TEST(MsgqueueTest, LimitsAreWritablePerNamespace) {
  long host_msgmnb = ReadProcInt(kMsgmnb);
  long host_msgmax = ReadProcInt(kMsgmax);
  EXPECT_CHILD_OK([] {
    ASSERT_NO_FATAL_FAILURE(EnterNewIpcNamespace());
    Queue before = Queue::Private(0600);
    ASSERT_TRUE(before.ok()) << strerror(errno);

    ASSERT_TRUE(WriteProc(kMsgmnb, 1000)) << strerror(errno);
    EXPECT_EQ(ReadProcInt(kMsgmnb), 1000);
    Queue after = Queue::Private(0600);
    ASSERT_TRUE(after.ok()) << strerror(errno);
    struct msqid_ds ds = {};
    ASSERT_EQ(MsgCtl(after.id(), IPC_STAT, &ds), 0);
    EXPECT_EQ(ds.msg_qbytes, 1000u);
    // Existing queues keep their qbytes.
    ASSERT_EQ(MsgCtl(before.id(), IPC_STAT, &ds), 0);
    EXPECT_EQ(ds.msg_qbytes, static_cast<unsigned long>(kDefaultMsgmnb));

    ASSERT_TRUE(WriteProc(kMsgmax, 100)) << strerror(errno);
    EXPECT_EQ(ReadProcInt(kMsgmax), 100);
    EXPECT_ERRNO(Send(after.id(), 1, std::string(101, 'x'), IPC_NOWAIT),
                 EINVAL);
    EXPECT_OK(Send(after.id(), 1, std::string(100, 'x'), IPC_NOWAIT));
  });
  // The host namespace is unaffected.
  EXPECT_EQ(ReadProcInt(kMsgmnb), host_msgmnb);
  EXPECT_EQ(ReadProcInt(kMsgmax), host_msgmax);
}

TEST(MsgqueueTest, ProcSysvipcMsgListsQueues) {
  EXPECT_CHILD_OK([] {
    ASSERT_NO_FATAL_FAILURE(EnterNewIpcNamespace());
    const key_t key = 0x1234abcd;
    const key_t negative_key = static_cast<key_t>(0xfedcba98u);
    Queue q(msgget(key, IPC_CREAT | IPC_EXCL | 0640));
    ASSERT_TRUE(q.ok()) << strerror(errno);
    Queue n(msgget(negative_key, IPC_CREAT | IPC_EXCL | 0600));
    ASSERT_TRUE(n.ok()) << strerror(errno);
    ASSERT_NO_FATAL_FAILURE(SendAll(q.id(), {{1, "abcd"}, {2, "efg"}}));

    std::string contents;
    ASSERT_TRUE(ReadFile("/proc/sysvipc/msg", &contents))
        << strerror(errno);
    std::istringstream in(contents);
    std::string header;
    ASSERT_TRUE(std::getline(in, header));
    EXPECT_EQ(header,
              "       key      msqid perms      cbytes       qnum "
              "lspid lrpid   uid   gid  cuid  cgid      stime      "
              "rtime      ctime");
    int rows = 0;
    bool found_q = false, found_n = false;
    std::string line;
    while (std::getline(in, line)) {
      if (line.empty()) continue;
      rows++;
      long k, id, cbytes, qnum, lspid, lrpid, uid, gid, cuid, cgid;
      unsigned perms;
      long long stime, rtime, ctime;
      ASSERT_EQ(sscanf(line.c_str(),
                       "%ld %ld %o %ld %ld %ld %ld %ld %ld %ld %ld "
                       "%lld %lld %lld",
                       &k, &id, &perms, &cbytes, &qnum, &lspid,
                       &lrpid, &uid, &gid, &cuid, &cgid, &stime,
                       &rtime, &ctime),
                14)
          << line;
      if (id == q.id()) {
        found_q = true;
        EXPECT_EQ(k, key);  // printed as a signed decimal
        EXPECT_EQ(perms, 0640u);
        EXPECT_EQ(cbytes, 7);
        EXPECT_EQ(qnum, 2);
        EXPECT_EQ(lspid, getpid());
        EXPECT_EQ(lrpid, 0);
        EXPECT_EQ(uid, 0);
        EXPECT_EQ(gid, 0);
        EXPECT_EQ(cuid, 0);
        EXPECT_EQ(cgid, 0);
        EXPECT_GT(stime, 0);
        EXPECT_EQ(rtime, 0);
        EXPECT_GT(ctime, 0);
      } else if (id == n.id()) {
        found_n = true;
        EXPECT_EQ(k, static_cast<long>(negative_key));
        EXPECT_LT(k, 0);
        EXPECT_EQ(perms, 0600u);
        EXPECT_EQ(qnum, 0);
        EXPECT_EQ(stime, 0);
      }
    }
    EXPECT_TRUE(found_q) << contents;
    EXPECT_TRUE(found_n) << contents;
    EXPECT_EQ(rows, 2) << contents;

    // A removed queue disappears.
    n.reset();
    ASSERT_TRUE(ReadFile("/proc/sysvipc/msg", &contents));
    int lines = 0;
    for (char ch : contents) lines += ch == '\n';
    EXPECT_EQ(lines, 2) << contents;
  });
}

// Reads the lspid and lrpid of queue id from /proc/sysvipc/msg; false if
// the file cannot be read or has no row for id.
bool ProcSysvipcMsgPids(int id, long* lspid, long* lrpid) {
  std::string contents;
  if (!ReadFile("/proc/sysvipc/msg", &contents)) return false;
  std::istringstream in(contents);
  std::string line;
  std::getline(in, line);  // the header
  while (std::getline(in, line)) {
    long key, qid, cbytes, qnum;
    unsigned perms;
    if (sscanf(line.c_str(), "%ld %ld %o %ld %ld %ld %ld", &key, &qid, &perms,
               &cbytes, &qnum, lspid, lrpid) == 7 &&
        qid == id) {
      return true;
    }
  }
  return false;
}

// msgctl(IPC_STAT) and /proc/sysvipc/msg show pids as the reader's PID
// namespace sees them: for the file, Linux's sysvipc_proc_open takes the
// opener's namespace, not the one of the procfs mount (here the parent's).
TEST(MsgqueueTest, PidsShowInReadersPidNamespace) {
  EXPECT_CHILD_OK([] {
    ASSERT_NO_FATAL_FAILURE(EnterNewIpcNamespace());
    Queue q = Queue::Private(0600);
    ASSERT_TRUE(q.ok()) << strerror(errno);
    const int id = q.id();
    // This process stays in its PID namespace; its next child is pid 1 of
    // a new one.
    ASSERT_EQ(unshare(CLONE_NEWPID), 0) << strerror(errno);
    AsyncChild sender([id] {
      ASSERT_EQ(getpid(), 1);
      ASSERT_OK(Send(id, 1, "x"));
      struct msqid_ds ds = {};
      ASSERT_OK(MsgCtl(id, IPC_STAT, &ds));
      EXPECT_EQ(ds.msg_lspid, 1);
      long lspid = -1, lrpid = -1;
      ASSERT_TRUE(ProcSysvipcMsgPids(id, &lspid, &lrpid)) << strerror(errno);
      EXPECT_EQ(lspid, 1);
      EXPECT_EQ(lrpid, 0);
    });
    ASSERT_TRUE(sender.started()) << strerror(errno);
    const pid_t sender_pid = sender.pid();
    ASSERT_EQ(sender.Wait(), 0);
    MaybeSave();  // the pids of an exited sender survive a checkpoint

    Received r;
    ASSERT_OK(Recv(id, &r, 16, 0, IPC_NOWAIT));
    struct msqid_ds ds = {};
    ASSERT_OK(MsgCtl(id, IPC_STAT, &ds));
    EXPECT_EQ(ds.msg_lspid, sender_pid);
    EXPECT_EQ(ds.msg_lrpid, getpid());
    long lspid = -1, lrpid = -1;
    ASSERT_TRUE(ProcSysvipcMsgPids(id, &lspid, &lrpid)) << strerror(errno);
    EXPECT_EQ(lspid, sender_pid);
    EXPECT_EQ(lrpid, getpid());
  });
}

// ===========================================================================
// util-linux ipcmk / ipcs / ipcrm.

// Runs argv[0] with stdout captured; returns the exit status.
int RunCommand(const std::vector<std::string>& argv, std::string* out) {
  int fds[2];
  if (pipe(fds) != 0) return -1;
  fflush(nullptr);
  pid_t pid = fork();
  if (pid == 0) {
    dup2(fds[1], STDOUT_FILENO);
    close(fds[0]);
    close(fds[1]);
    std::vector<char*> args;
    for (const std::string& a : argv) {
      args.push_back(const_cast<char*>(a.c_str()));
    }
    args.push_back(nullptr);
    char* envp[] = {const_cast<char*>("LC_ALL=C"),
                    const_cast<char*>("PATH=/usr/bin:/bin"), nullptr};
    execve(args[0], args.data(), envp);
    _exit(127);
  }
  close(fds[1]);
  out->clear();
  char buf[4096];
  ssize_t n;
  while ((n = read(fds[0], buf, sizeof(buf))) > 0) out->append(buf, n);
  close(fds[0]);
  return WaitChild(pid, kChildTimeoutMs);
}

// Whether some line of `ipcs -q` output has id in its msqid column.
bool IpcsListsId(const std::string& output, int id) {
  std::istringstream in(output);
  std::string line;
  while (std::getline(in, line)) {
    std::istringstream fields(line);
    std::string key, msqid;
    if (!(fields >> key >> msqid)) continue;
    if (key.rfind("0x", 0) == 0 && msqid == std::to_string(id)) return true;
  }
  return false;
}

TEST(MsgqueueTest, IpcmkIpcsIpcrm) {
  for (const char* bin :
       {"/usr/bin/ipcmk", "/usr/bin/ipcs", "/usr/bin/ipcrm"}) {
    if (access(bin, X_OK) != 0) GTEST_SKIP() << bin << " is missing";
  }
  EXPECT_CHILD_OK([] {
    ASSERT_NO_FATAL_FAILURE(EnterNewIpcNamespace());
    std::string out;
    ASSERT_EQ(RunCommand({"/usr/bin/ipcmk", "-Q"}, &out), 0) << out;
    size_t pos = out.find("id: ");
    ASSERT_NE(pos, std::string::npos) << out;
    int id = atoi(out.c_str() + pos + 4);
    Queue q(id);  // removed if ipcrm fails
    struct msqid_ds ds = {};
    ASSERT_EQ(MsgCtl(id, IPC_STAT, &ds), 0) << strerror(errno);
    EXPECT_EQ(ds.msg_perm.mode, 0644);  // ipcmk's default

    ASSERT_EQ(RunCommand({"/usr/bin/ipcs", "-q"}, &out), 0) << out;
    EXPECT_TRUE(IpcsListsId(out, id)) << out;

    ASSERT_EQ(RunCommand({"/usr/bin/ipcrm", "-q", std::to_string(id)},
                         &out),
              0)
        << out;
    EXPECT_ERRNO(MsgCtl(id, IPC_STAT, &ds), EINVAL);
    q.release();

    ASSERT_EQ(RunCommand({"/usr/bin/ipcs", "-q"}, &out), 0) << out;
    EXPECT_FALSE(IpcsListsId(out, id)) << out;
  });
}

}  // namespace
