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
#include "mq_notify_util.h"
#include "test_util.h"

namespace mqtest {
namespace {

// ---------------------------------------------------------------------------
// Blocked receivers and senders.

// A receiver blocked in mq_timedreceive at checkpoint time is still blocked
// after the restore and gets the first message sent afterwards.
TEST(MqSaveTest, BlockedReceiverThreadAcrossSave) {
  ScopedMq q = CreateQueue(2, 16);
  ASSERT_TRUE(q.ok()) << strerror(errno);
  char buf[16] = {};
  unsigned prio = 0;
  ThreadCall receiver(TimedReceiveCall(q.fd(), buf, sizeof(buf), 60000, &prio));
  ASSERT_TRUE(WaitTidBlocked(receiver.tid));
  MaybeSave();
  SleepMs(50);
  EXPECT_FALSE(receiver.done.load()) << "receive returned across the save: "
                                     << receiver.ret.load() << " "
                                     << strerror(receiver.err.load());
  EXPECT_EQ(CurMsgs(q.fd()), 0);
  MaybeSave();
  ASSERT_EQ(mq_send(q.fd(), "after", 5, 6), 0) << strerror(errno);
  receiver.Join();
  ASSERT_EQ(receiver.ret.load(), 5) << strerror(receiver.err.load());
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
  ASSERT_WAIT_CHILD_OK(child);
}

// A sender blocked on a full queue at checkpoint time is still blocked after
// the restore; a receive makes room and its message is queued.
TEST(MqSaveTest, BlockedSenderAcrossSave) {
  ScopedMq q = CreateQueue(1, 16);
  ASSERT_TRUE(q.ok()) << strerror(errno);
  ASSERT_EQ(mq_send(q.fd(), "first", 5, 1), 0);
  ThreadCall sender(TimedSendCall(q.fd(), "second", 9, 60000));
  ASSERT_TRUE(WaitTidBlocked(sender.tid));
  MaybeSave();
  SleepMs(50);
  EXPECT_FALSE(sender.done.load()) << "send returned across the save: "
                                   << strerror(sender.ret.load());
  EXPECT_EQ(CurMsgs(q.fd()), 1);
  char buf[16] = {};
  ASSERT_NO_FATAL_FAILURE(ExpectReceive(q.fd(), buf, sizeof(buf), "first", 1));
  sender.Join();
  EXPECT_EQ(sender.ret.load(), 0) << strerror(sender.ret.load());
  MaybeSave();
  ASSERT_NO_FATAL_FAILURE(ExpectReceive(q.fd(), buf, sizeof(buf), "second", 9));
}

// Two receivers blocked at checkpoint time keep their arrival order: the
// first message after the restore goes to the one that waited first.
TEST(MqSaveTest, BlockedReceiversKeepArrivalOrderAcrossSave) {
  ScopedMq q = CreateQueue(2, 16);
  ASSERT_TRUE(q.ok()) << strerror(errno);
  char buf[2][16] = {};
  ThreadCall first(TimedReceiveCall(q.fd(), buf[0], sizeof(buf[0]), 60000));
  ASSERT_TRUE(WaitTidBlocked(first.tid));
  ThreadCall second(TimedReceiveCall(q.fd(), buf[1], sizeof(buf[1]), 60000));
  ASSERT_TRUE(WaitTidBlocked(second.tid));
  MaybeSave();
  ASSERT_EQ(mq_send(q.fd(), "m1", 2, 0), 0);
  // Whoever got m1 returns; the other keeps waiting for m2 (sent in any
  // case, so that a wrong order fails instead of hanging).
  EXPECT_TRUE(WaitFor([&] { return first.done.load() || second.done.load(); }, 10000));
  SleepMs(50);
  EXPECT_TRUE(first.done.load()) << "m1 did not go to the receiver that waited first";
  EXPECT_FALSE(second.done.load()) << "the receiver that waited second returned first";
  ASSERT_EQ(mq_send(q.fd(), "m2", 2, 0), 0);
  first.Join();
  second.Join();
  EXPECT_EQ(first.ret.load(), 2);
  EXPECT_EQ(std::string(buf[0], 2), "m1");
  EXPECT_EQ(second.ret.load(), 2);
  EXPECT_EQ(std::string(buf[1], 2), "m2");
}

// The same for two senders blocked on a full queue.
TEST(MqSaveTest, BlockedSendersKeepArrivalOrderAcrossSave) {
  ScopedMq q = CreateQueue(1, 16);
  ASSERT_TRUE(q.ok()) << strerror(errno);
  ASSERT_EQ(mq_send(q.fd(), "full", 4, 0), 0);
  ThreadCall first(TimedSendCall(q.fd(), "s1", 0, 60000));
  ASSERT_TRUE(WaitTidBlocked(first.tid));
  ThreadCall second(TimedSendCall(q.fd(), "s2", 0, 60000));
  ASSERT_TRUE(WaitTidBlocked(second.tid));
  MaybeSave();
  char buf[16];
  ASSERT_EQ(mq_receive(q.fd(), buf, sizeof(buf), nullptr), 4);
  EXPECT_TRUE(WaitFor([&] { return first.done.load() || second.done.load(); }, 10000));
  SleepMs(50);
  ssize_t n = mq_receive(q.fd(), buf, sizeof(buf), nullptr);
  ASSERT_EQ(n, 2);
  EXPECT_EQ(std::string(buf, 2), "s1") << "the sender that waited second got the room";
  ASSERT_EQ(mq_receive(q.fd(), buf, sizeof(buf), nullptr), 2);
  first.Join();
  second.Join();
  EXPECT_EQ(first.ret.load(), 0);
  EXPECT_EQ(second.ret.load(), 0);
}

// ---------------------------------------------------------------------------
// Timeouts are absolute CLOCK_REALTIME deadlines: a restore must neither make
// a blocked call return before its deadline nor keep it waiting long after.

// A ThreadCall body: mq_timedreceive from fd (into a buffer of its own)
// with the absolute deadline *deadline.
std::function<long()> ReceiveUntil(mqd_t fd, const struct timespec* deadline) {
  return [=] {
    char buf[16];
    return static_cast<long>(mq_timedreceive(fd, buf, sizeof(buf), nullptr, deadline));
  };
}

// A timed call that returned at returned_at must not have returned before
// its deadline, nor slack_s seconds or more after from; late is the failure
// message for the latter.
void ExpectReturnedInTime(const struct timespec& returned_at,
                          const struct timespec& deadline, struct timespec from,
                          int slack_s, const char* late) {
  EXPECT_TRUE(TimespecAtOrAfter(returned_at, deadline)) << "returned before its deadline";
  from.tv_sec += slack_s;
  EXPECT_FALSE(TimespecAtOrAfter(returned_at, from)) << late;
}

// The deadline (2 s) is normally still ahead after the restore.
TEST(MqSaveTest, TimedReceiveDeadlineHonouredAcrossSave) {
  ScopedMq q = CreateQueue(2, 16);
  ASSERT_TRUE(q.ok()) << strerror(errno);
  struct timespec deadline = RealtimeIn(2000);
  ThreadCall receiver(ReceiveUntil(q.fd(), &deadline));
  ASSERT_TRUE(WaitTidBlocked(receiver.tid));
  MaybeSave();
  struct timespec now;
  clock_gettime(CLOCK_REALTIME, &now);
  if (!TimespecAtOrAfter(now, deadline)) {
    EXPECT_FALSE(receiver.done.load()) << "returned before its deadline";
  }
  receiver.Join();
  EXPECT_EQ(receiver.ret.load(), -1);
  EXPECT_EQ(receiver.err.load(), ETIMEDOUT) << strerror(receiver.err.load());
  // And not long after it.
  ExpectReturnedInTime(receiver.returned_at, deadline, deadline, 10,
                       "returned 10 s after its deadline");
}

TEST(MqSaveTest, TimedSendDeadlineHonouredAcrossSave) {
  ScopedMq q = CreateQueue(1, 16);
  ASSERT_TRUE(q.ok()) << strerror(errno);
  ASSERT_EQ(mq_send(q.fd(), "full", 4, 0), 0);
  struct timespec deadline = RealtimeIn(2000);
  ThreadCall sender(
      [&] { return mq_timedsend(q.fd(), "x", 1, 0, &deadline) == 0 ? 0 : errno; });
  ASSERT_TRUE(WaitTidBlocked(sender.tid));
  MaybeSave();
  sender.Join();
  EXPECT_EQ(sender.ret.load(), ETIMEDOUT) << strerror(sender.ret.load());
  ExpectReturnedInTime(sender.returned_at, deadline, deadline, 10,
                       "returned 10 s after its deadline");
  EXPECT_EQ(CurMsgs(q.fd()), 1);
}

// The deadline (150 ms) normally passes while the sandbox is checkpointed:
// after the restore the call must time out at once, not wait again.
TEST(MqSaveTest, DeadlinePassedDuringSaveTimesOutPromptly) {
  ScopedMq q = CreateQueue(2, 16);
  ASSERT_TRUE(q.ok()) << strerror(errno);
  struct timespec deadline = RealtimeIn(150);
  ThreadCall receiver(ReceiveUntil(q.fd(), &deadline));
  ASSERT_TRUE(WaitFor([&] { return receiver.tid.load() != 0; }));
  (void)WaitThreadBlocked(receiver.tid.load(), 100);
  MaybeSave();
  struct timespec after_save;
  clock_gettime(CLOCK_REALTIME, &after_save);
  receiver.Join();
  EXPECT_EQ(receiver.ret.load(), -1);
  EXPECT_EQ(receiver.err.load(), ETIMEDOUT) << strerror(receiver.err.load());
  ExpectReturnedInTime(receiver.returned_at, deadline, after_save, 5,
                       "still waiting 5 s after the restore for a deadline already past");
}

// ---------------------------------------------------------------------------
// mq_notify.

// After a registration fired once: receives the one queued message and
// sends another into the empty queue, which must not fire it again.
void ExpectNoSecondNotification(mqd_t fd, int before) {
  char buf[16];
  ASSERT_EQ(mq_receive(fd, buf, sizeof(buf), nullptr), 1);
  ASSERT_EQ(mq_send(fd, "b", 1, 0), 0);
  SleepMs(100);
  EXPECT_EQ(g_count.load(), before + 1);
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
  struct sigevent sev = SignalEvent(kNotifySig, value);
  ASSERT_EQ(mq_notify(q.fd(), &sev), 0) << strerror(errno);
  int before = g_count.load();
  MaybeSave();
  EXPECT_EQ(g_count.load(), before) << "a notification fired across the save";
  EXPECT_EQ(NotifyFromOtherProcess(q.fd()), EBUSY) << "registration lost";
  MaybeSave();
  ASSERT_EQ(mq_send(q.fd(), "a", 1, 0), 0) << strerror(errno);
  ASSERT_TRUE(WaitNotified(before))
      << "the registration never fired after the restore";
  SleepMs(100);
  EXPECT_EQ(g_count.load(), before + 1) << "fired more than once";
  EXPECT_EQ(g_code.load(), SI_MESGQ);
  EXPECT_EQ(g_pid.load(), getpid());
  EXPECT_EQ(g_value.load(), value);
  // One-shot: gone after firing, also across another save.
  MaybeSave();
  ASSERT_NO_FATAL_FAILURE(ExpectNoSecondNotification(q.fd(), before));
  EXPECT_EQ(NotifyFromOtherProcess(q.fd()), 0);
}

// A registration that fired before the checkpoint doesn't fire again after
// the restore.
TEST(MqSaveTest, FiredNotificationDoesNotFireAgainAfterRestore) {
  NotifyHandlerScope h;
  ASSERT_TRUE(h.ok());
  ScopedMq q = CreateRegisteredQueue(4, SignalEvent());
  ASSERT_TRUE(q.ok()) << strerror(errno);
  int before = g_count.load();
  ASSERT_EQ(mq_send(q.fd(), "a", 1, 0), 0);
  ASSERT_TRUE(WaitNotified(before));
  MaybeSave();
  SleepMs(100);
  EXPECT_EQ(g_count.load(), before + 1);
  ASSERT_NO_FATAL_FAILURE(ExpectNoSecondNotification(q.fd(), before));
}

// A registration by another (still running) process survives: that process
// gets the signal, once, for a message sent after the restore.
TEST(MqSaveTest, OtherProcessRegistrationAcrossSave) {
  ScopedMq q = CreateQueue(2, 16);
  ASSERT_TRUE(q.ok()) << strerror(errno);
  mqd_t fd = q.fd();
  char c = 0;
  pid_t child = ForkSignalRegistrant(fd, reinterpret_cast<void*>(77), getpid(),
                                     60000, true, &c);
  ASSERT_GE(child, 0);
  ASSERT_EQ(c, 'y');
  MaybeSave();
  struct sigevent none = NoneEvent();
  EXPECT_ERRNO(mq_notify(fd, &none), EBUSY);
  ASSERT_EQ(mq_send(fd, "a", 1, 0), 0);
  ASSERT_WAIT_CHILD_OK(child);
}

// SIGEV_NONE registrations survive too (others still get EBUSY), and are
// consumed by the next message without a signal.
TEST(MqSaveTest, SigevNoneRegistrationAcrossSave) {
  ExpectSilentRegistration(NoneEvent(), 50);
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
  EXPECT_ERRNO(mq_open(q.cname(), O_RDWR), ENOENT);
  struct mq_attr a = {};
  ASSERT_EQ(mq_getattr(q.fd(), &a), 0) << strerror(errno);
  EXPECT_EQ(a.mq_maxmsg, 4);
  EXPECT_EQ(a.mq_msgsize, 32);
  EXPECT_EQ(a.mq_curmsgs, 2);
  // The name can hold a new, distinct queue.
  struct mq_attr attr = QueueAttr(2, 8);
  mqd_t fresh = mq_open(q.cname(), O_RDWR | O_CREAT | O_EXCL, 0600, &attr);
  ASSERT_GE(fresh, 0) << strerror(errno);
  ASSERT_EQ(mq_send(fresh, "new", 3, 0), 0);
  MaybeSave();
  EXPECT_EQ(CurMsgs(fresh), 1);
  EXPECT_EQ(CurMsgs(q.fd()), 2);
  char buf[32];
  unsigned prio = 0;
  ASSERT_NO_FATAL_FAILURE(ExpectReceive(q.fd(), buf, sizeof(buf), "high", 7));
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
  ASSERT_TRUE(WaitTidBlocked(tid));
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
  EXPECT_ERRNO(mq_receive(other, buf, sizeof(buf), nullptr), EAGAIN);
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
  pid_t child = ForkWithHandshake(ready, go);
  ASSERT_GE(child, 0);
  if (child == 0) {
    close(ready[0]);
    close(go[1]);
    if (unshare(CLONE_NEWIPC) != 0) {
      (void)!write(ready[1], "s", 1);
      _exit(0);
    }
    struct mq_attr a = QueueAttr(3, 99);
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
  ASSERT_WAIT_CHILD_OK(child);
  close(ready[0]);
  close(go[1]);
  // The parent's queue is untouched, and the child's names never showed here.
  struct mq_attr a = {};
  ASSERT_EQ(mq_getattr(q.fd(), &a), 0);
  EXPECT_EQ(a.mq_curmsgs, 1);
  EXPECT_EQ(a.mq_msgsize, 16);
  EXPECT_ERRNO(mq_open((name + "_later").c_str(), O_RDONLY), ENOENT);
}

// RLIMIT_MSGQUEUE charges survive: a queue created before the checkpoint is
// still charged after the restore, and its charge is returned when it goes.
TEST(MqSaveTest, RlimitChargeAcrossSave) {
  ScopedQueueName n1, n2;
  uid_t uid = OwnRlimitUid();
  EXPECT_CHILD_OK([&] {
    struct mq_attr a;
    mqd_t fd1 = ChildCreateRlimitFillingQueue(uid, n1, &a);
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
  SKIP_WITHOUT_CAPABILITY(CAP_SYS_RESOURCE, "needs CAP_SYS_RESOURCE for a queue deeper than msg_max");
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
TEST(MqSaveTest, MqsentryOnlyPeekDeepQueueAfterRestore) {
  SKIP_WITHOUT_CAPABILITY(CAP_SYS_RESOURCE, "needs CAP_SYS_RESOURCE for a queue deeper than msg_max");
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
  EXPECT_ERRNO(fcntl(q.fd(), F_MQ_PEEK, &a), ENOMSG);
}

}  // namespace
}  // namespace mqtest
