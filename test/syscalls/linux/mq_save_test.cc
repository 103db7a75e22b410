// POSIX message queues across a checkpoint and a restore of the sandbox.
//
// Every MaybeSave() (test_util.h) is, in the runner's NAME-save modes, a full
// `runsc` checkpoint of the sandbox to an image followed by a restore into a
// new sandbox process: what the test sees after it is only what the image
// held. Natively and under a plain runsc MaybeSave does nothing, so every
// case here must pass there too; the checks after a MaybeSave are the same
// as without one. Linux 6.18 is the reference.
#include <errno.h>
#include <fcntl.h>
#include <mqueue.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <string>
#include <thread>
#include <vector>

#include "gtest/gtest.h"
#include "test_util.h"

namespace mqtest {
namespace {

long CurMsgs(mqd_t fd) {
  struct mq_attr a = {};
  if (mq_getattr(fd, &a) != 0) return -1;
  return a.mq_curmsgs;
}

bool TimespecAtOrAfter(const struct timespec& a, const struct timespec& b) {
  return a.tv_sec > b.tv_sec || (a.tv_sec == b.tv_sec && a.tv_nsec >= b.tv_nsec);
}

// ---------------------------------------------------------------------------
// Blocked receivers and senders.

// A receiver blocked in mq_timedreceive at checkpoint time is still blocked
// after the restore and gets the first message sent afterwards.
TEST(MqSaveTest, BlockedReceiverThreadAcrossSave) {
  ScopedMq q = CreateQueue(2, 16);
  ASSERT_TRUE(q.ok()) << strerror(errno);
  std::atomic<pid_t> tid{0};
  std::atomic<bool> done{false};
  std::atomic<ssize_t> got{0};
  std::atomic<int> err{0};
  char buf[16] = {};
  unsigned prio = 0;
  std::thread receiver([&] {
    tid = GetTid();
    struct timespec deadline = RealtimeIn(60000);
    got = mq_timedreceive(q.fd(), buf, sizeof(buf), &prio, &deadline);
    err = errno;
    done = true;
  });
  ASSERT_TRUE(WaitFor([&] { return tid.load() != 0; }));
  ASSERT_TRUE(WaitThreadBlocked(tid.load()));
  MaybeSave();
  SleepMs(50);
  EXPECT_FALSE(done.load()) << "receive returned across the save: " << got.load()
                            << " " << strerror(err.load());
  EXPECT_EQ(CurMsgs(q.fd()), 0);
  MaybeSave();
  ASSERT_EQ(mq_send(q.fd(), "after", 5, 6), 0) << strerror(errno);
  receiver.join();
  ASSERT_EQ(got.load(), 5) << strerror(err.load());
  EXPECT_EQ(std::string(buf, 5), "after");
  EXPECT_EQ(prio, 6u);
  EXPECT_EQ(CurMsgs(q.fd()), 0);  // handed over, not queued
}

// The same with the receiver in another process (blocked in plain
// mq_receive, no timeout).
TEST(MqSaveTest, BlockedReceiverProcessAcrossSave) {
  ScopedMq q = CreateQueue(2, 16);
  ASSERT_TRUE(q.ok()) << strerror(errno);
  mqd_t fd = q.fd();
  int ready[2];
  ASSERT_EQ(pipe(ready), 0);
  fflush(nullptr);
  pid_t child = fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    (void)!write(ready[1], "r", 1);
    char b[16];
    unsigned p = 0;
    ssize_t n = mq_receive(fd, b, sizeof(b), &p);
    if (n != 4 || memcmp(b, "proc", 4) != 0 || p != 11) _exit(1);
    _exit(0);
  }
  close(ready[1]);
  char c;
  ASSERT_EQ(read(ready[0], &c, 1), 1);
  close(ready[0]);
  // Wait until the child sleeps in mq_receive.
  char path[64];
  snprintf(path, sizeof(path), "/proc/%d/stat", child);
  EXPECT_TRUE(WaitFor([&] {
    std::string s;
    if (!ReadFileString(path, &s)) return false;
    size_t p = s.rfind(')');
    return p != std::string::npos && p + 2 < s.size() && s[p + 2] == 'S';
  }));
  SleepMs(20);
  MaybeSave();
  int status = 0;
  EXPECT_EQ(waitpid(child, &status, WNOHANG), 0) << "child ended across the save: "
                                                 << DescribeStatus(status);
  ASSERT_EQ(mq_send(q.fd(), "proc", 4, 11), 0) << strerror(errno);
  ASSERT_EQ(waitpid(child, &status, 0), child);
  EXPECT_TRUE(ChildOK(status)) << DescribeStatus(status);
}

// A sender blocked on a full queue at checkpoint time is still blocked after
// the restore; a receive makes room and its message is queued.
TEST(MqSaveTest, BlockedSenderAcrossSave) {
  ScopedMq q = CreateQueue(1, 16);
  ASSERT_TRUE(q.ok()) << strerror(errno);
  ASSERT_EQ(mq_send(q.fd(), "first", 5, 1), 0);
  std::atomic<pid_t> tid{0};
  std::atomic<bool> done{false};
  std::atomic<int> result{-1};
  std::thread sender([&] {
    tid = GetTid();
    struct timespec deadline = RealtimeIn(60000);
    result = mq_timedsend(q.fd(), "second", 6, 9, &deadline) == 0 ? 0 : errno;
    done = true;
  });
  ASSERT_TRUE(WaitFor([&] { return tid.load() != 0; }));
  ASSERT_TRUE(WaitThreadBlocked(tid.load()));
  MaybeSave();
  SleepMs(50);
  EXPECT_FALSE(done.load()) << "send returned across the save: " << strerror(result.load());
  EXPECT_EQ(CurMsgs(q.fd()), 1);
  char buf[16] = {};
  unsigned prio = 0;
  ASSERT_EQ(mq_receive(q.fd(), buf, sizeof(buf), &prio), 5) << strerror(errno);
  EXPECT_EQ(std::string(buf, 5), "first");
  EXPECT_EQ(prio, 1u);
  sender.join();
  EXPECT_EQ(result.load(), 0) << strerror(result.load());
  MaybeSave();
  ASSERT_EQ(mq_receive(q.fd(), buf, sizeof(buf), &prio), 6) << strerror(errno);
  EXPECT_EQ(std::string(buf, 6), "second");
  EXPECT_EQ(prio, 9u);
}

// Two receivers blocked at checkpoint time keep their arrival order: the
// first message after the restore goes to the one that waited first.
TEST(MqSaveTest, BlockedReceiversKeepArrivalOrderAcrossSave) {
  ScopedMq q = CreateQueue(2, 16);
  ASSERT_TRUE(q.ok()) << strerror(errno);
  struct Receiver {
    std::atomic<pid_t> tid{0};
    std::atomic<ssize_t> n{0};
    std::atomic<bool> done{false};
    char buf[16] = {};
  } r[2];
  auto body = [&](Receiver* rv) {
    rv->tid = GetTid();
    struct timespec deadline = RealtimeIn(60000);
    rv->n = mq_timedreceive(q.fd(), rv->buf, sizeof(rv->buf), nullptr, &deadline);
    rv->done = true;
  };
  std::thread first(body, &r[0]);
  ASSERT_TRUE(WaitFor([&] { return r[0].tid.load() != 0; }));
  ASSERT_TRUE(WaitThreadBlocked(r[0].tid.load()));
  std::thread second(body, &r[1]);
  ASSERT_TRUE(WaitFor([&] { return r[1].tid.load() != 0; }));
  ASSERT_TRUE(WaitThreadBlocked(r[1].tid.load()));
  MaybeSave();
  ASSERT_EQ(mq_send(q.fd(), "m1", 2, 0), 0);
  // Whoever got m1 returns; the other keeps waiting for m2 (sent in any
  // case, so that a wrong order fails instead of hanging).
  EXPECT_TRUE(WaitFor([&] { return r[0].done.load() || r[1].done.load(); }, 10000));
  SleepMs(50);
  EXPECT_TRUE(r[0].done.load()) << "m1 did not go to the receiver that waited first";
  EXPECT_FALSE(r[1].done.load()) << "the receiver that waited second returned first";
  ASSERT_EQ(mq_send(q.fd(), "m2", 2, 0), 0);
  first.join();
  second.join();
  EXPECT_EQ(r[0].n.load(), 2);
  EXPECT_EQ(std::string(r[0].buf, 2), "m1");
  EXPECT_EQ(r[1].n.load(), 2);
  EXPECT_EQ(std::string(r[1].buf, 2), "m2");
}

// The same for two senders blocked on a full queue.
TEST(MqSaveTest, BlockedSendersKeepArrivalOrderAcrossSave) {
  ScopedMq q = CreateQueue(1, 16);
  ASSERT_TRUE(q.ok()) << strerror(errno);
  ASSERT_EQ(mq_send(q.fd(), "full", 4, 0), 0);
  std::atomic<pid_t> tid[2] = {{0}, {0}};
  std::atomic<int> ret[2] = {{-1}, {-1}};
  auto body = [&](int i, const char* m) {
    tid[i] = GetTid();
    struct timespec deadline = RealtimeIn(60000);
    ret[i] = mq_timedsend(q.fd(), m, strlen(m), 0, &deadline) == 0 ? 0 : errno;
  };
  std::thread first(body, 0, "s1");
  ASSERT_TRUE(WaitFor([&] { return tid[0].load() != 0; }));
  ASSERT_TRUE(WaitThreadBlocked(tid[0].load()));
  std::thread second(body, 1, "s2");
  ASSERT_TRUE(WaitFor([&] { return tid[1].load() != 0; }));
  ASSERT_TRUE(WaitThreadBlocked(tid[1].load()));
  MaybeSave();
  char buf[16];
  ASSERT_EQ(mq_receive(q.fd(), buf, sizeof(buf), nullptr), 4);
  EXPECT_TRUE(WaitFor([&] { return ret[0].load() != -1 || ret[1].load() != -1; }, 10000));
  SleepMs(50);
  ssize_t n = mq_receive(q.fd(), buf, sizeof(buf), nullptr);
  ASSERT_EQ(n, 2);
  EXPECT_EQ(std::string(buf, 2), "s1") << "the sender that waited second got the room";
  ASSERT_EQ(mq_receive(q.fd(), buf, sizeof(buf), nullptr), 2);
  first.join();
  second.join();
  EXPECT_EQ(ret[0].load(), 0);
  EXPECT_EQ(ret[1].load(), 0);
}

// ---------------------------------------------------------------------------
// Timeouts are absolute CLOCK_REALTIME deadlines: a restore must neither make
// a blocked call return before its deadline nor keep it waiting long after.

// The deadline (2 s) is normally still ahead after the restore.
TEST(MqSaveTest, TimedReceiveDeadlineHonouredAcrossSave) {
  ScopedMq q = CreateQueue(2, 16);
  ASSERT_TRUE(q.ok()) << strerror(errno);
  std::atomic<pid_t> tid{0};
  std::atomic<bool> done{false};
  std::atomic<ssize_t> got{0};
  std::atomic<int> err{0};
  struct timespec deadline = RealtimeIn(2000);
  struct timespec returned_at = {};
  std::thread receiver([&] {
    tid = GetTid();
    char buf[16];
    got = mq_timedreceive(q.fd(), buf, sizeof(buf), nullptr, &deadline);
    err = errno;
    clock_gettime(CLOCK_REALTIME, &returned_at);
    done = true;
  });
  ASSERT_TRUE(WaitFor([&] { return tid.load() != 0; }));
  ASSERT_TRUE(WaitThreadBlocked(tid.load()));
  MaybeSave();
  struct timespec now;
  clock_gettime(CLOCK_REALTIME, &now);
  if (!TimespecAtOrAfter(now, deadline)) {
    EXPECT_FALSE(done.load()) << "returned before its deadline";
  }
  receiver.join();
  EXPECT_EQ(got.load(), -1);
  EXPECT_EQ(err.load(), ETIMEDOUT) << strerror(err.load());
  EXPECT_TRUE(TimespecAtOrAfter(returned_at, deadline)) << "returned before its deadline";
  // And not long after it.
  struct timespec late = deadline;
  late.tv_sec += 10;
  EXPECT_FALSE(TimespecAtOrAfter(returned_at, late)) << "returned 10 s after its deadline";
}

TEST(MqSaveTest, TimedSendDeadlineHonouredAcrossSave) {
  ScopedMq q = CreateQueue(1, 16);
  ASSERT_TRUE(q.ok()) << strerror(errno);
  ASSERT_EQ(mq_send(q.fd(), "full", 4, 0), 0);
  std::atomic<pid_t> tid{0};
  std::atomic<int> result{0};
  struct timespec deadline = RealtimeIn(2000);
  struct timespec returned_at = {};
  std::thread sender([&] {
    tid = GetTid();
    result = mq_timedsend(q.fd(), "x", 1, 0, &deadline) == 0 ? 0 : errno;
    clock_gettime(CLOCK_REALTIME, &returned_at);
  });
  ASSERT_TRUE(WaitFor([&] { return tid.load() != 0; }));
  ASSERT_TRUE(WaitThreadBlocked(tid.load()));
  MaybeSave();
  sender.join();
  EXPECT_EQ(result.load(), ETIMEDOUT) << strerror(result.load());
  EXPECT_TRUE(TimespecAtOrAfter(returned_at, deadline)) << "returned before its deadline";
  struct timespec late = deadline;
  late.tv_sec += 10;
  EXPECT_FALSE(TimespecAtOrAfter(returned_at, late)) << "returned 10 s after its deadline";
  EXPECT_EQ(CurMsgs(q.fd()), 1);
}

// The deadline (150 ms) normally passes while the sandbox is checkpointed:
// after the restore the call must time out at once, not wait again.
TEST(MqSaveTest, DeadlinePassedDuringSaveTimesOutPromptly) {
  ScopedMq q = CreateQueue(2, 16);
  ASSERT_TRUE(q.ok()) << strerror(errno);
  std::atomic<pid_t> tid{0};
  std::atomic<ssize_t> got{0};
  std::atomic<int> err{0};
  struct timespec deadline = RealtimeIn(150);
  struct timespec returned_at = {};
  std::thread receiver([&] {
    tid = GetTid();
    char buf[16];
    got = mq_timedreceive(q.fd(), buf, sizeof(buf), nullptr, &deadline);
    err = errno;
    clock_gettime(CLOCK_REALTIME, &returned_at);
  });
  ASSERT_TRUE(WaitFor([&] { return tid.load() != 0; }));
  (void)WaitThreadBlocked(tid.load(), 100);
  MaybeSave();
  struct timespec after_save;
  clock_gettime(CLOCK_REALTIME, &after_save);
  receiver.join();
  EXPECT_EQ(got.load(), -1);
  EXPECT_EQ(err.load(), ETIMEDOUT) << strerror(err.load());
  EXPECT_TRUE(TimespecAtOrAfter(returned_at, deadline)) << "returned before its deadline";
  struct timespec late = after_save;
  late.tv_sec += 5;
  EXPECT_FALSE(TimespecAtOrAfter(returned_at, late))
      << "still waiting 5 s after the restore for a deadline already past";
}

// ---------------------------------------------------------------------------
// mq_notify.

constexpr int kNotifySig = SIGUSR1;
std::atomic<int> g_count{0};
std::atomic<int> g_code{0};
std::atomic<pid_t> g_pid{0};
std::atomic<void*> g_value{nullptr};

void NotifyHandler(int, siginfo_t* info, void*) {
  g_code = info->si_code;
  g_pid = info->si_pid;
  g_value = info->si_value.sival_ptr;
  g_count++;
}

class NotifyHandlerScope {
 public:
  NotifyHandlerScope() {
    struct sigaction sa = {};
    sa.sa_sigaction = NotifyHandler;
    sa.sa_flags = SA_SIGINFO | SA_RESTART;
    sigemptyset(&sa.sa_mask);
    ok_ = sigaction(kNotifySig, &sa, &old_) == 0;
  }
  ~NotifyHandlerScope() {
    if (ok_) sigaction(kNotifySig, &old_, nullptr);
  }
  bool ok() const { return ok_; }

 private:
  bool ok_;
  struct sigaction old_;
};

// mq_notify(SIGEV_NONE) from a forked child: 0 or the errno.
int NotifyFromOtherProcess(mqd_t fd) {
  int p[2];
  if (pipe(p) != 0) return -1;
  int status = RunInChild([&] {
    struct sigevent sev = {};
    sev.sigev_notify = SIGEV_NONE;
    int r = mq_notify(fd, &sev) == 0 ? 0 : errno;
    (void)!write(p[1], &r, sizeof(r));
  });
  int r = -1;
  if (!ChildOK(status) || read(p[0], &r, sizeof(r)) != sizeof(r)) r = -1;
  close(p[0]);
  close(p[1]);
  return r;
}

// A registration pending at checkpoint time survives the restore: it fires
// exactly once, with the registered value, on the next message into the
// empty queue, and is gone afterwards.
TEST(MqSaveTest, PendingNotificationFiresOnceAfterRestore) {
  NotifyHandlerScope h;
  ASSERT_TRUE(h.ok());
  ScopedMq q = CreateQueue(4, 16);
  ASSERT_TRUE(q.ok()) << strerror(errno);
  void* value = reinterpret_cast<void*>(0x5a5e0001);
  struct sigevent sev = {};
  sev.sigev_notify = SIGEV_SIGNAL;
  sev.sigev_signo = kNotifySig;
  sev.sigev_value.sival_ptr = value;
  ASSERT_EQ(mq_notify(q.fd(), &sev), 0) << strerror(errno);
  int before = g_count.load();
  MaybeSave();
  EXPECT_EQ(g_count.load(), before) << "a notification fired across the save";
  EXPECT_EQ(NotifyFromOtherProcess(q.fd()), EBUSY) << "registration lost";
  MaybeSave();
  ASSERT_EQ(mq_send(q.fd(), "a", 1, 0), 0) << strerror(errno);
  ASSERT_TRUE(WaitFor([&] { return g_count.load() > before; }))
      << "the registration never fired after the restore";
  SleepMs(100);
  EXPECT_EQ(g_count.load(), before + 1) << "fired more than once";
  EXPECT_EQ(g_code.load(), SI_MESGQ);
  EXPECT_EQ(g_pid.load(), getpid());
  EXPECT_EQ(g_value.load(), value);
  // One-shot: gone after firing, also across another save.
  MaybeSave();
  char buf[16];
  ASSERT_EQ(mq_receive(q.fd(), buf, sizeof(buf), nullptr), 1);
  ASSERT_EQ(mq_send(q.fd(), "b", 1, 0), 0);
  SleepMs(100);
  EXPECT_EQ(g_count.load(), before + 1);
  EXPECT_EQ(NotifyFromOtherProcess(q.fd()), 0);
}

// A registration that fired before the checkpoint doesn't fire again after
// the restore.
TEST(MqSaveTest, FiredNotificationDoesNotFireAgainAfterRestore) {
  NotifyHandlerScope h;
  ASSERT_TRUE(h.ok());
  ScopedMq q = CreateQueue(4, 16);
  ASSERT_TRUE(q.ok()) << strerror(errno);
  struct sigevent sev = {};
  sev.sigev_notify = SIGEV_SIGNAL;
  sev.sigev_signo = kNotifySig;
  ASSERT_EQ(mq_notify(q.fd(), &sev), 0) << strerror(errno);
  int before = g_count.load();
  ASSERT_EQ(mq_send(q.fd(), "a", 1, 0), 0);
  ASSERT_TRUE(WaitFor([&] { return g_count.load() > before; }));
  MaybeSave();
  SleepMs(100);
  EXPECT_EQ(g_count.load(), before + 1);
  char buf[16];
  ASSERT_EQ(mq_receive(q.fd(), buf, sizeof(buf), nullptr), 1);
  ASSERT_EQ(mq_send(q.fd(), "b", 1, 0), 0);
  SleepMs(100);
  EXPECT_EQ(g_count.load(), before + 1);
}

// A registration by another (still running) process survives: that process
// gets the signal, once, for a message sent after the restore.
TEST(MqSaveTest, OtherProcessRegistrationAcrossSave) {
  ScopedMq q = CreateQueue(2, 16);
  ASSERT_TRUE(q.ok()) << strerror(errno);
  mqd_t fd = q.fd();
  pid_t parent = getpid();
  int ready[2];
  ASSERT_EQ(pipe(ready), 0);
  fflush(nullptr);
  pid_t child = fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    struct sigaction sa = {};
    sa.sa_sigaction = NotifyHandler;
    sa.sa_flags = SA_SIGINFO;
    sigemptyset(&sa.sa_mask);
    if (sigaction(kNotifySig, &sa, nullptr) != 0) _exit(2);
    int before = g_count.load();
    struct sigevent sev = {};
    sev.sigev_notify = SIGEV_SIGNAL;
    sev.sigev_signo = kNotifySig;
    sev.sigev_value.sival_ptr = reinterpret_cast<void*>(77);
    char c = mq_notify(fd, &sev) == 0 ? 'y' : 'n';
    (void)!write(ready[1], &c, 1);
    if (!WaitFor([&] { return g_count.load() > before; }, 60000)) _exit(3);
    if (g_code.load() != SI_MESGQ || g_pid.load() != parent) _exit(4);
    if (g_value.load() != reinterpret_cast<void*>(77)) _exit(5);
    SleepMs(100);
    if (g_count.load() != before + 1) _exit(6);
    _exit(0);
  }
  close(ready[1]);
  char c = 0;
  ASSERT_EQ(read(ready[0], &c, 1), 1);
  close(ready[0]);
  ASSERT_EQ(c, 'y');
  MaybeSave();
  struct sigevent none = {};
  none.sigev_notify = SIGEV_NONE;
  errno = 0;
  EXPECT_EQ(mq_notify(fd, &none), -1);
  EXPECT_EQ(errno, EBUSY);
  ASSERT_EQ(mq_send(fd, "a", 1, 0), 0);
  int status;
  ASSERT_EQ(waitpid(child, &status, 0), child);
  EXPECT_TRUE(ChildOK(status)) << DescribeStatus(status);
}

// SIGEV_NONE registrations survive too (others still get EBUSY), and are
// consumed by the next message without a signal.
TEST(MqSaveTest, SigevNoneRegistrationAcrossSave) {
  NotifyHandlerScope h;
  ASSERT_TRUE(h.ok());
  ScopedMq q = CreateQueue(2, 16);
  ASSERT_TRUE(q.ok()) << strerror(errno);
  struct sigevent sev = {};
  sev.sigev_notify = SIGEV_NONE;
  ASSERT_EQ(mq_notify(q.fd(), &sev), 0) << strerror(errno);
  MaybeSave();
  EXPECT_EQ(NotifyFromOtherProcess(q.fd()), EBUSY);
  int before = g_count.load();
  ASSERT_EQ(mq_send(q.fd(), "a", 1, 0), 0);
  SleepMs(50);
  EXPECT_EQ(g_count.load(), before);
  EXPECT_EQ(NotifyFromOtherProcess(q.fd()), 0);
}

// ---------------------------------------------------------------------------
// Lifetime.

// An unlinked queue lives on through its descriptor: after the restore its
// name is still free (and reusable), its messages and attributes are intact.
TEST(MqSaveTest, UnlinkedQueueKeptAliveByDescriptor) {
  ScopedMq q = CreateQueue(4, 32);
  ASSERT_TRUE(q.ok()) << strerror(errno);
  ASSERT_EQ(mq_send(q.fd(), "low", 3, 1), 0);
  ASSERT_EQ(mq_send(q.fd(), "high", 4, 7), 0);
  ASSERT_EQ(mq_unlink(q.cname()), 0) << strerror(errno);
  MaybeSave();
  errno = 0;
  EXPECT_EQ(mq_open(q.cname(), O_RDWR), -1);
  EXPECT_EQ(errno, ENOENT);
  struct mq_attr a = {};
  ASSERT_EQ(mq_getattr(q.fd(), &a), 0) << strerror(errno);
  EXPECT_EQ(a.mq_maxmsg, 4);
  EXPECT_EQ(a.mq_msgsize, 32);
  EXPECT_EQ(a.mq_curmsgs, 2);
  // The name can hold a new, distinct queue.
  struct mq_attr attr = {};
  attr.mq_maxmsg = 2;
  attr.mq_msgsize = 8;
  mqd_t fresh = mq_open(q.cname(), O_RDWR | O_CREAT | O_EXCL, 0600, &attr);
  ASSERT_GE(fresh, 0) << strerror(errno);
  ASSERT_EQ(mq_send(fresh, "new", 3, 0), 0);
  MaybeSave();
  EXPECT_EQ(CurMsgs(fresh), 1);
  EXPECT_EQ(CurMsgs(q.fd()), 2);
  char buf[32];
  unsigned prio = 0;
  ASSERT_EQ(mq_receive(q.fd(), buf, sizeof(buf), &prio), 4);
  EXPECT_EQ(std::string(buf, 4), "high");
  EXPECT_EQ(prio, 7u);
  ASSERT_EQ(mq_receive(q.fd(), buf, sizeof(buf), &prio), 3);
  EXPECT_EQ(std::string(buf, 3), "low");
  mq_close(fresh);
}

// A named queue with no descriptor left keeps its messages across a save.
TEST(MqSaveTest, QueueWithoutDescriptorsKeepsMessages) {
  ScopedMq q = CreateQueue(3, 16);
  ASSERT_TRUE(q.ok()) << strerror(errno);
  ASSERT_EQ(mq_send(q.fd(), "kept", 4, 3), 0);
  q.CloseFd();
  MaybeSave();
  mqd_t fd = mq_open(q.cname(), O_RDONLY | O_NONBLOCK);
  ASSERT_GE(fd, 0) << strerror(errno);
  char buf[16];
  unsigned prio = 0;
  EXPECT_EQ(mq_receive(fd, buf, sizeof(buf), &prio), 4);
  EXPECT_EQ(std::string(buf, 4), "kept");
  EXPECT_EQ(prio, 3u);
  mq_close(fd);
}

// O_NONBLOCK of an open file description, and the readiness seen by poll and
// by an epoll instance, are the same after a restore; a poll waiter blocked
// at checkpoint time is woken by a message sent after it.
TEST(MqSaveTest, DescriptorFlagsAndWaitersAcrossSave) {
  ScopedMq q = CreateQueue(2, 16);
  ASSERT_TRUE(q.ok()) << strerror(errno);
  mqd_t other = mq_open(q.cname(), O_RDONLY | O_NONBLOCK);
  ASSERT_GE(other, 0);
  ScopedFd ep(epoll_create1(EPOLL_CLOEXEC));
  ASSERT_GE(ep.get(), 0);
  struct epoll_event ev = {};
  ev.events = EPOLLIN;
  ev.data.u64 = 0xfeed;
  ASSERT_EQ(epoll_ctl(ep.get(), EPOLL_CTL_ADD, q.fd(), &ev), 0) << strerror(errno);
  std::atomic<pid_t> tid{0};
  std::atomic<int> polled{-1};
  std::atomic<short> revents{0};
  std::thread poller([&] {
    tid = GetTid();
    struct pollfd p = {q.fd(), POLLIN, 0};
    polled = poll(&p, 1, 60000);
    revents = p.revents;
  });
  ASSERT_TRUE(WaitFor([&] { return tid.load() != 0; }));
  ASSERT_TRUE(WaitThreadBlocked(tid.load()));
  MaybeSave();
  struct mq_attr a = {};
  ASSERT_EQ(mq_getattr(other, &a), 0);
  EXPECT_EQ(a.mq_flags, O_NONBLOCK);
  ASSERT_EQ(mq_getattr(q.fd(), &a), 0);
  EXPECT_EQ(a.mq_flags, 0);
  struct epoll_event out[2] = {};
  EXPECT_EQ(epoll_wait(ep.get(), out, 2, 0), 0);
  EXPECT_EQ(polled.load(), -1) << "poll returned across the save";
  ASSERT_EQ(mq_send(q.fd(), "x", 1, 0), 0);
  poller.join();
  EXPECT_EQ(polled.load(), 1);
  EXPECT_EQ(revents.load(), POLLIN);
  ASSERT_EQ(epoll_wait(ep.get(), out, 2, 1000), 1);
  EXPECT_EQ(out[0].data.u64, 0xfeedu);
  MaybeSave();
  EXPECT_EQ(epoll_wait(ep.get(), out, 2, 0), 1);  // level-triggered
  char buf[16];
  ASSERT_EQ(mq_receive(other, buf, sizeof(buf), nullptr), 1);
  EXPECT_EQ(epoll_wait(ep.get(), out, 2, 0), 0);
  errno = 0;
  EXPECT_EQ(mq_receive(other, buf, sizeof(buf), nullptr), -1);
  EXPECT_EQ(errno, EAGAIN);
  mq_close(other);
}

// ---------------------------------------------------------------------------
// IPC namespaces.

// Queues of a child IPC namespace survive, still separate from the parent's
// namespace: same name, different queues, each with its own messages.
TEST(MqSaveTest, ChildIpcNamespaceQueuesAcrossSave) {
  ScopedMq q = CreateQueue(2, 16);
  ASSERT_TRUE(q.ok()) << strerror(errno);
  ASSERT_EQ(mq_send(q.fd(), "parent", 6, 1), 0);
  std::string name = q.name();
  mqd_t inherited = q.fd();
  int ready[2], go[2];
  ASSERT_EQ(pipe(ready), 0);
  ASSERT_EQ(pipe(go), 0);
  fflush(nullptr);
  pid_t child = fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    close(ready[0]);
    close(go[1]);
    if (unshare(CLONE_NEWIPC) != 0) {
      (void)!write(ready[1], "s", 1);
      _exit(0);
    }
    struct mq_attr a = {};
    a.mq_maxmsg = 3;
    a.mq_msgsize = 99;
    mqd_t fd = mq_open(name.c_str(), O_RDWR | O_CREAT | O_EXCL, 0600, &a);
    CHILD_CHECK(fd >= 0);
    CHILD_CHECK_OK(mq_send(fd, "child", 5, 4));
    // An unlinked queue inside the namespace too.
    std::string gone = name + "_gone";
    mqd_t gfd = mq_open(gone.c_str(), O_RDWR | O_CREAT | O_EXCL, 0600, &a);
    CHILD_CHECK(gfd >= 0);
    CHILD_CHECK_OK(mq_send(gfd, "g", 1, 0));
    CHILD_CHECK_OK(mq_unlink(gone.c_str()));
    (void)!write(ready[1], "y", 1);
    char c;
    (void)!read(go[0], &c, 1);
    MaybeSave();
    // After the restore: the namespace's own queue by name ...
    mqd_t again = mq_open(name.c_str(), O_RDONLY);
    CHILD_CHECK(again >= 0);
    CHILD_CHECK_OK(mq_getattr(again, &a));
    CHILD_CHECK(a.mq_msgsize == 99 && a.mq_maxmsg == 3 && a.mq_curmsgs == 1);
    char buf[99];
    unsigned prio = 0;
    CHILD_CHECK(mq_receive(again, buf, sizeof(buf), &prio) == 5);
    CHILD_CHECK(memcmp(buf, "child", 5) == 0 && prio == 4);
    CHILD_CHECK_ERRNO(mq_open(gone.c_str(), O_RDONLY), ENOENT);
    CHILD_CHECK_OK(mq_getattr(gfd, &a));
    CHILD_CHECK(a.mq_curmsgs == 1);
    // ... and the parent's through the inherited descriptor.
    CHILD_CHECK_OK(mq_getattr(inherited, &a));
    CHILD_CHECK(a.mq_msgsize == 16 && a.mq_curmsgs == 1);
    // A new queue in the namespace after the restore.
    std::string later = name + "_later";
    mqd_t lfd = mq_open(later.c_str(), O_RDWR | O_CREAT | O_EXCL, 0600, &a);
    CHILD_CHECK(lfd >= 0);
    CHILD_CHECK_OK(mq_unlink(later.c_str()));
    CHILD_CHECK_OK(mq_unlink(name.c_str()));
    _exit(0);
  }
  close(ready[1]);
  close(go[0]);
  char c = 0;
  EXPECT_EQ(read(ready[0], &c, 1), 1);
  if (c == 's') {
    waitpid(child, nullptr, 0);
    GTEST_SKIP() << "unshare(CLONE_NEWIPC) failed";
  }
  EXPECT_EQ(c, 'y');
  EXPECT_EQ(write(go[1], "g", 1), 1);
  int status;
  ASSERT_EQ(waitpid(child, &status, 0), child);
  EXPECT_TRUE(ChildOK(status)) << DescribeStatus(status);
  close(ready[0]);
  close(go[1]);
  // The parent's queue is untouched, and the child's names never showed here.
  struct mq_attr a = {};
  ASSERT_EQ(mq_getattr(q.fd(), &a), 0);
  EXPECT_EQ(a.mq_curmsgs, 1);
  EXPECT_EQ(a.mq_msgsize, 16);
  errno = 0;
  EXPECT_EQ(mq_open((name + "_later").c_str(), O_RDONLY), -1);
  EXPECT_EQ(errno, ENOENT);
}

// RLIMIT_MSGQUEUE charges survive: a queue created before the checkpoint is
// still charged after the restore, and its charge is returned when it goes.
TEST(MqSaveTest, RlimitChargeAcrossSave) {
  ScopedQueueName n1, n2;
  uid_t uid = 40000 + getpid() % 20000;
  EXPECT_CHILD_OK([&] {
    struct rlimit rl = {10000, 10000};
    CHILD_CHECK_OK(setrlimit(RLIMIT_MSGQUEUE, &rl));
    CHILD_CHECK(BecomeUser(uid, uid));
    struct mq_attr a = {};
    a.mq_maxmsg = 1;
    a.mq_msgsize = 6000;
    mqd_t fd1 = mq_open(n1.c_str(), O_RDWR | O_CREAT | O_EXCL, 0600, &a);
    CHILD_CHECK(fd1 >= 0);
    MaybeSave();
    CHILD_CHECK_ERRNO(mq_open(n2.c_str(), O_RDWR | O_CREAT | O_EXCL, 0600, &a),
                      EMFILE);
    CHILD_CHECK_OK(mq_unlink(n1.c_str()));
    CHILD_CHECK_OK(mq_close(fd1));
    MaybeSave();
    mqd_t fd2 = mq_open(n2.c_str(), O_RDWR | O_CREAT | O_EXCL, 0600, &a);
    CHILD_CHECK(fd2 >= 0);
    CHILD_CHECK_OK(mq_unlink(n2.c_str()));
  });
}

// ---------------------------------------------------------------------------
// A deep queue.

constexpr int kDeepMessages = 10000;
constexpr long kDeepMsgSize = 1024;

struct Msg {
  std::string data;
  unsigned prio;
  int seq;
};

uint64_t Fnv1a(uint64_t h, const void* p, size_t n) {
  const unsigned char* b = static_cast<const unsigned char*>(p);
  for (size_t i = 0; i < n; i++) {
    h ^= b[i];
    h *= 1099511628211ULL;
  }
  return h;
}

uint64_t Checksum(const std::vector<Msg>& msgs) {
  uint64_t h = 1469598103934665603ULL;
  for (const Msg& m : msgs) {
    uint64_t len = m.data.size();
    h = Fnv1a(h, &len, sizeof(len));
    h = Fnv1a(h, &m.prio, sizeof(m.prio));
    h = Fnv1a(h, m.data.data(), m.data.size());
  }
  return h;
}

// kDeepMessages messages of mixed sizes (0 to kDeepMsgSize bytes, a few
// exactly 0 and kDeepMsgSize) and priorities (many sharing one, so FIFO
// order within a priority matters), in receive order.
std::vector<Msg> DeepMessages() {
  std::vector<Msg> msgs;
  uint32_t s = 0x9e3779b9;
  auto next = [&] {
    s ^= s << 13;
    s ^= s >> 17;
    s ^= s << 5;
    return s;
  };
  for (int i = 0; i < kDeepMessages; i++) {
    size_t len;
    switch (i % 97) {
      case 0:
        len = 0;
        break;
      case 1:
        len = kDeepMsgSize;
        break;
      default:
        len = next() % (kDeepMsgSize + 1);
    }
    Msg m;
    m.seq = i;
    m.prio = (i % 5 == 0) ? next() % 32768 : next() % 40;
    m.data.resize(len);
    for (size_t j = 0; j < len; j++) m.data[j] = static_cast<char>(next());
    msgs.push_back(std::move(m));
  }
  return msgs;
}

std::vector<Msg> ReceiveOrder(std::vector<Msg> msgs) {
  std::stable_sort(msgs.begin(), msgs.end(),
                   [](const Msg& a, const Msg& b) { return a.prio > b.prio; });
  return msgs;
}

// Opens a queue deep enough for DeepMessages; skips the test without
// CAP_SYS_RESOURCE (its maxmsg is above the default msg_max).
ScopedMq OpenDeepQueue() {
  struct rlimit rl;
  if (getrlimit(RLIMIT_MSGQUEUE, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY) {
    struct rlimit inf = {RLIM_INFINITY, RLIM_INFINITY};
    setrlimit(RLIMIT_MSGQUEUE, &inf);
  }
  return CreateQueue(kDeepMessages, kDeepMsgSize, O_RDWR | O_NONBLOCK);
}

// The status line's QSIZE (bytes queued), read through the descriptor.
long QueuedBytes(mqd_t fd) {
  char buf[256] = {};
  ssize_t n = pread(fd, buf, sizeof(buf) - 1, 0);
  if (n <= 0) return -1;
  return strtol(buf + strlen("QSIZE:"), nullptr, 10);
}

TEST(MqSaveTest, TenThousandMessagesChecksumsAcrossSave) {
  if (!HaveCapability(CAP_SYS_RESOURCE)) {
    GTEST_SKIP() << "needs CAP_SYS_RESOURCE for a queue deeper than msg_max";
  }
  ScopedMq q = OpenDeepQueue();
  ASSERT_TRUE(q.ok()) << strerror(errno);
  std::vector<Msg> sent = DeepMessages();
  long bytes = 0;
  for (const Msg& m : sent) {
    ASSERT_EQ(mq_send(q.fd(), m.data.data(), m.data.size(), m.prio), 0)
        << "message " << m.seq << ": " << strerror(errno);
    bytes += m.data.size();
  }
  std::vector<Msg> want = ReceiveOrder(sent);
  const uint64_t want_sum = Checksum(want);
  ASSERT_EQ(CurMsgs(q.fd()), kDeepMessages);
  ASSERT_EQ(QueuedBytes(q.fd()), bytes);

  MaybeSave();
  ASSERT_EQ(CurMsgs(q.fd()), kDeepMessages);
  EXPECT_EQ(QueuedBytes(q.fd()), bytes);

  std::vector<Msg> got;
  std::string buf(kDeepMsgSize, 0);
  for (int i = 0; i < kDeepMessages; i++) {
    if (i == kDeepMessages / 2) {
      // Half drained: another save with a partly emptied queue.
      MaybeSave();
      ASSERT_EQ(CurMsgs(q.fd()), kDeepMessages - i);
    }
    unsigned prio = 0;
    ssize_t n = mq_receive(q.fd(), &buf[0], buf.size(), &prio);
    ASSERT_GE(n, 0) << "receive " << i << ": " << strerror(errno);
    got.push_back(Msg{buf.substr(0, n), prio, i});
  }
  EXPECT_EQ(CurMsgs(q.fd()), 0);
  EXPECT_EQ(QueuedBytes(q.fd()), 0);
  EXPECT_EQ(Checksum(got), want_sum) << "checksum of the received messages differs";
  // Where they differ, for the report.
  for (int i = 0; i < kDeepMessages; i++) {
    if (got[i].data != want[i].data || got[i].prio != want[i].prio) {
      ADD_FAILURE() << "first difference at receive " << i << ": got " << got[i].data.size()
                    << " bytes prio " << got[i].prio << ", want message " << want[i].seq
                    << " (" << want[i].data.size() << " bytes prio " << want[i].prio << ")";
      break;
    }
  }
}

// fcntl(F_MQ_PEEK) (mqsentry only) at any depth of the restored deep queue
// agrees with the receive order: the priority index is rebuilt or restored
// consistently with the messages.
constexpr int F_MQ_PEEK = 1024 + 17;
struct mq_peek_attr {
  int32_t offset;
  uint32_t msg_prio;
  size_t buf_len;
  char* buf;
};

TEST(MqSaveTest, MqsentryOnlyPeekDeepQueueAfterRestore) {
  if (!HaveCapability(CAP_SYS_RESOURCE)) {
    GTEST_SKIP() << "needs CAP_SYS_RESOURCE for a queue deeper than msg_max";
  }
  ScopedMq q = OpenDeepQueue();
  ASSERT_TRUE(q.ok()) << strerror(errno);
  std::vector<Msg> sent = DeepMessages();
  for (const Msg& m : sent) {
    ASSERT_EQ(mq_send(q.fd(), m.data.data(), m.data.size(), m.prio), 0) << strerror(errno);
  }
  std::vector<Msg> want = ReceiveOrder(sent);
  MaybeSave();
  std::string buf(kDeepMsgSize, 0);
  auto check = [&](int idx, int shift) {
    mq_peek_attr a = {idx, 0xdeadbeef, buf.size(), &buf[0]};
    long n = fcntl(q.fd(), F_MQ_PEEK, &a);
    ASSERT_GE(n, 0) << "peek " << idx << ": " << strerror(errno);
    const Msg& w = want[idx + shift];
    EXPECT_EQ(std::string(buf.data(), n), w.data) << "peek " << idx;
    EXPECT_EQ(a.msg_prio, w.prio) << "peek " << idx;
  };
  for (int idx : {0, 1, 2, 39, 255, 256, 257, 4999, 5000, 9998, 9999}) check(idx, 0);
  for (int idx = 3; idx < kDeepMessages; idx += 613) check(idx, 0);
  // Receive a third, save again, and peek the rest.
  for (int i = 0; i < kDeepMessages / 3; i++) {
    ASSERT_GE(mq_receive(q.fd(), &buf[0], buf.size(), nullptr), 0);
  }
  MaybeSave();
  const int left = kDeepMessages - kDeepMessages / 3;
  for (int idx : {0, 1, left / 2, left - 1}) check(idx, kDeepMessages / 3);
  mq_peek_attr a = {left, 0, buf.size(), &buf[0]};
  errno = 0;
  EXPECT_EQ(fcntl(q.fd(), F_MQ_PEEK, &a), -1);
  EXPECT_EQ(errno, ENOMSG);
}

}  // namespace
}  // namespace mqtest
