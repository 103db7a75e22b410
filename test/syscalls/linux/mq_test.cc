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

// mq_timedsend/mq_timedreceive, mq_getsetattr, queue lifetime, mq_unlink and
// poll/select/epoll on message-queue descriptors. Linux 6.18 is the
// reference.
#include <errno.h>
#include <fcntl.h>
#include <mqueue.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/select.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <functional>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "gtest/gtest.h"
#include "signal_util.h"
#include "test_util.h"

namespace mqtest {
namespace {

constexpr unsigned kPrioMax = 32768;  // MQ_PRIO_MAX

// Starts a thread that sleeps 50 ms, calls MaybeSave() (normally with the
// calling thread blocked in a wait for the queue) and then sends msg with
// priority prio to fd.
std::thread SendLater(mqd_t fd, const char* msg, unsigned prio) {
  return std::thread([=] {
    SleepMs(50);
    MaybeSave();
    mq_send(fd, msg, strlen(msg), prio);
  });
}

// Opens q again, read-only into *ro and write-only into *wo.
void OpenReadOnlyAndWriteOnly(const ScopedMq& q, mqd_t* ro, mqd_t* wo) {
  *ro = mq_open(q.cname(), O_RDONLY);
  *wo = mq_open(q.cname(), O_WRONLY);
  ASSERT_GE(*ro, 0);
  ASSERT_GE(*wo, 0);
}

// call(deadline) (an mq_timedsend or mq_timedreceive that has to wait) must
// fail with ETIMEDOUT given a deadline 100 ms ahead: not before the deadline,
// and not within 95 ms by CLOCK_MONOTONIC.
void ExpectTimesOutIn100Ms(
    const std::function<long(const struct timespec*)>& call) {
  long long start = MonotonicNowNs();
  struct timespec deadline = RealtimeIn(100);
  EXPECT_ERRNO(call(&deadline), ETIMEDOUT);
  struct timespec now;
  clock_gettime(CLOCK_REALTIME, &now);
  EXPECT_TRUE(TimespecAtOrAfter(now, deadline)) << "returned before the deadline";
  EXPECT_GE(MonotonicNowNs() - start, 95 * 1000000LL);
}

// Runs call (an mq_timedsend or mq_timedreceive that blocks) in a thread,
// with a MaybeSave() while it waits (a save restarts the call; only a signal
// makes it EINTR), then signals the thread with SIGUSR1 until the call
// returns: it must fail with EINTR. what names the call.
void ExpectInterruptedEINTR(const std::function<long()>& call, const char* what) {
  ThreadCall t(call);
  SleepMs(20);
  MaybeSave();
  EXPECT_FALSE(t.done.load()) << what << " returned across a save: "
                              << strerror(t.err.load());
  // Keep signalling until the call returns (the first signal may come before
  // the thread blocks).
  for (int i = 0; i < 500 && !t.done; i++) {
    pthread_kill(t.native_handle(), SIGUSR1);
    SleepMs(10);
  }
  t.Join();
  EXPECT_EQ(t.ret.load(), -1);
  EXPECT_EQ(t.err.load(), EINTR);
}

// Once the call of t has blocked, signals its thread with SIGUSR1 (whose
// handler has SA_RESTART): the call must go on after the handler ran and
// across a MaybeSave().
void ExpectRestartedAfterSignal(ThreadCall& t) {
  ASSERT_TRUE(WaitFor([&] { return t.tid.load() != 0; }));
  EXPECT_TRUE(WaitThreadBlocked(t.tid.load()));
  int before = g_signals.load();
  pthread_kill(t.native_handle(), SIGUSR1);
  EXPECT_TRUE(WaitFor([&] { return g_signals.load() > before; }));
  SleepMs(50);
  EXPECT_FALSE(t.done.load()) << "returned after the signal: " << t.ret.load()
                              << " " << strerror(t.err.load());
  MaybeSave();
  EXPECT_FALSE(t.done.load()) << "returned across a save: " << t.ret.load()
                              << " " << strerror(t.err.load());
}

// ---------------------------------------------------------------------------
// Send and receive.

TEST(MqTest, SendReceive) {
  ScopedMq q = CreateQueue(4, 64);
  ASSERT_TRUE(q.ok()) << strerror(errno);
  ASSERT_EQ(mq_send(q.fd(), "hello", 5, 3), 0) << strerror(errno);
  MaybeSave();
  EXPECT_EQ(CurMsgs(q.fd()), 1);
  char buf[64] = {};
  ASSERT_NO_FATAL_FAILURE(ExpectReceive(q.fd(), buf, sizeof(buf), "hello", 3));
  EXPECT_EQ(CurMsgs(q.fd()), 0);
}

TEST(MqTest, PriorityOrderThenFifo) {
  ScopedMq q = CreateQueue(10, 16);
  ASSERT_TRUE(q.ok()) << strerror(errno);
  const unsigned prios[10] = {5, 1, 5, 0, 32767, 1, 3, 5, 0, 3};
  for (int i = 0; i < 10; i++) {
    char m[16];
    int n = snprintf(m, sizeof(m), "m%d", i);
    ASSERT_EQ(mq_send(q.fd(), m, n, prios[i]), 0) << strerror(errno);
  }
  MaybeSave();
  std::vector<int> want(10);
  for (int i = 0; i < 10; i++) want[i] = i;
  std::stable_sort(want.begin(), want.end(),
                   [&](int a, int b) { return prios[a] > prios[b]; });
  for (int i = 0; i < 10; i++) {
    char buf[16] = {};
    unsigned prio;
    ssize_t n = mq_receive(q.fd(), buf, sizeof(buf), &prio);
    ASSERT_GT(n, 0) << strerror(errno);
    EXPECT_EQ(std::string(buf, n), "m" + std::to_string(want[i])) << "at " << i;
    EXPECT_EQ(prio, prios[want[i]]) << "at " << i;
  }
  EXPECT_EQ(CurMsgs(q.fd()), 0);
}

// Sends and receives interleaved: every receive returns the oldest message of
// the highest priority present at that moment.
TEST(MqTest, InterleavedSendReceiveOrder) {
  ScopedMq q = CreateQueue(10, 16, O_RDWR | O_NONBLOCK);
  ASSERT_TRUE(q.ok()) << strerror(errno);
  std::vector<std::pair<unsigned, int>> model;  // (prio, seq) in send order
  int seq = 0;
  unsigned state = 12345;
  auto next = [&] { return state = state * 1103515245u + 12345u; };
  for (int step = 0; step < 400; step++) {
    bool do_send = model.empty() || (model.size() < 10 && (next() >> 16) % 3 != 0);
    if (do_send) {
      unsigned prio = (next() >> 16) % 5 * 7000;  // 0, 7000, ..., 28000
      std::string m = std::to_string(seq);
      ASSERT_EQ(mq_send(q.fd(), m.data(), m.size(), prio), 0) << strerror(errno);
      model.push_back({prio, seq++});
    } else {
      auto best = model.begin();
      for (auto it = model.begin(); it != model.end(); ++it) {
        if (it->first > best->first) best = it;
      }
      char buf[16];
      unsigned prio;
      ssize_t n = mq_receive(q.fd(), buf, sizeof(buf), &prio);
      ASSERT_GT(n, 0) << strerror(errno);
      EXPECT_EQ(std::string(buf, n), std::to_string(best->second)) << "step " << step;
      EXPECT_EQ(prio, best->first);
      model.erase(best);
    }
    ASSERT_EQ(CurMsgs(q.fd()), (long)model.size());
    if (step % 100 == 50) MaybeSave();
  }
}

TEST(MqTest, MaxPriorityAndTooLargePriorityEINVAL) {
  ScopedMq q = CreateQueue(4, 16);
  ASSERT_TRUE(q.ok()) << strerror(errno);
  EXPECT_EQ(mq_send(q.fd(), "a", 1, kPrioMax - 1), 0) << strerror(errno);
  for (unsigned p : {kPrioMax, kPrioMax + 1, 0xffffffffu}) {
    errno = 0;
    EXPECT_EQ(mq_send(q.fd(), "b", 1, p), -1) << p;
    EXPECT_EQ(errno, EINVAL) << p;
  }
  EXPECT_EQ(CurMsgs(q.fd()), 1);
  MaybeSave();
  char buf[16];
  unsigned prio;
  EXPECT_EQ(mq_receive(q.fd(), buf, sizeof(buf), &prio), 1);
  EXPECT_EQ(prio, kPrioMax - 1);
}

// The priority is checked before the descriptor.
TEST(MqTest, TooLargePriorityBeforeEBADF) {
  EXPECT_ERRNO(mq_send(-1, "a", 1, kPrioMax), EINVAL);
  int p[2];
  ASSERT_EQ(pipe(p), 0);
  ScopedFd r(p[0]), w(p[1]);
  EXPECT_ERRNO(mq_send(w.get(), "a", 1, kPrioMax), EINVAL);
  // Even a full queue and an over-long message: EINVAL first.
  ScopedMq q = CreateQueue(1, 4, O_RDWR | O_NONBLOCK);
  ASSERT_TRUE(q.ok());
  ASSERT_EQ(mq_send(q.fd(), "x", 1, 0), 0);
  MaybeSave();
  EXPECT_ERRNO(mq_send(q.fd(), "toolong", 7, kPrioMax), EINVAL);
}

// Linux reads and validates the timeout at syscall entry, before anything
// else: a bad timeout pointer gives EFAULT even with a bad priority.
TEST(MqTest, TimeoutCheckedFirst) {
  ScopedMq q = CreateQueue(2, 16);
  ASSERT_TRUE(q.ok());
  auto bad_ptr = reinterpret_cast<const struct timespec*>(1);
  EXPECT_ERRNO(mq_timedsend(q.fd(), "a", 1, kPrioMax, bad_ptr), EFAULT);
  EXPECT_ERRNO(mq_timedsend(-1, "a", 1, 0, bad_ptr), EFAULT);
  char buf[16];
  EXPECT_ERRNO(mq_timedreceive(-1, buf, sizeof(buf), nullptr, bad_ptr), EFAULT);
  struct timespec inval = {0, 1000000000L};
  EXPECT_ERRNO(mq_timedsend(-1, "a", 1, 0, &inval), EINVAL);
  EXPECT_ERRNO(mq_timedreceive(-1, buf, sizeof(buf), nullptr, &inval), EINVAL);
  EXPECT_EQ(CurMsgs(q.fd()), 0);
}

TEST(MqTest, NotAQueueEBADF) {
  int p[2];
  ASSERT_EQ(pipe(p), 0);
  ScopedFd r(p[0]), w(p[1]);
  char buf[8192];
  EXPECT_ERRNO(mq_send(w.get(), "a", 1, 0), EBADF);
  EXPECT_ERRNO(mq_receive(r.get(), buf, sizeof(buf), nullptr), EBADF);
  struct mq_attr a;
  EXPECT_ERRNO(mq_getattr(r.get(), &a), EBADF);
  for (int fd : {-1, 100000}) {
    EXPECT_ERRNO(mq_send(fd, "a", 1, 0), EBADF);
    EXPECT_ERRNO(mq_receive(fd, buf, sizeof(buf), nullptr), EBADF);
    EXPECT_ERRNO(mq_getattr(fd, &a), EBADF);
  }
}

TEST(MqTest, WrongAccessModeEBADF) {
  ScopedMq q = CreateQueue(2, 16);
  ASSERT_TRUE(q.ok()) << strerror(errno);
  mqd_t ro, wo;
  ASSERT_NO_FATAL_FAILURE(OpenReadOnlyAndWriteOnly(q, &ro, &wo));
  MaybeSave();
  EXPECT_ERRNO(mq_send(ro, "a", 1, 0), EBADF);
  // The access mode is checked before the message size.
  EXPECT_ERRNO(mq_send(ro, "far too long for this queue", 27, 0), EBADF);
  ASSERT_EQ(mq_send(wo, "a", 1, 0), 0) << strerror(errno);
  char buf[16];
  EXPECT_ERRNO(mq_receive(wo, buf, sizeof(buf), nullptr), EBADF);
  EXPECT_ERRNO(mq_receive(wo, buf, 1, nullptr), EBADF);
  EXPECT_EQ(mq_receive(ro, buf, sizeof(buf), nullptr), 1);
  mq_close(ro);
  mq_close(wo);
}

TEST(MqTest, SendTooLongEMSGSIZE) {
  ScopedMq q = CreateQueue(2, 16);
  ASSERT_TRUE(q.ok()) << strerror(errno);
  char m[17] = {};
  MaybeSave();
  EXPECT_ERRNO(mq_send(q.fd(), m, 17, 0), EMSGSIZE);
  EXPECT_EQ(CurMsgs(q.fd()), 0);
  EXPECT_EQ(mq_send(q.fd(), m, 16, 0), 0) << strerror(errno);
}

TEST(MqTest, ReceiveBufferSmallerThanMsgsizeEMSGSIZE) {
  ScopedMq q = CreateQueue(2, 16, O_RDWR | O_NONBLOCK);
  ASSERT_TRUE(q.ok()) << strerror(errno);
  char buf[16];
  // Empty and non-blocking: EMSGSIZE comes before EAGAIN.
  EXPECT_ERRNO(mq_receive(q.fd(), buf, 15, nullptr), EMSGSIZE);
  ASSERT_EQ(mq_send(q.fd(), "x", 1, 0), 0);
  MaybeSave();
  // The buffer must hold mq_msgsize bytes even for a short message.
  EXPECT_ERRNO(mq_receive(q.fd(), buf, 15, nullptr), EMSGSIZE);
  EXPECT_ERRNO(mq_receive(q.fd(), buf, 0, nullptr), EMSGSIZE);
  EXPECT_EQ(CurMsgs(q.fd()), 1);  // the message stays
  EXPECT_EQ(mq_receive(q.fd(), buf, 16, nullptr), 1);
}

TEST(MqTest, FullNonblockingSendEAGAIN) {
  ScopedMq q = CreateQueue(2, 16, O_RDWR | O_NONBLOCK);
  ASSERT_TRUE(q.ok()) << strerror(errno);
  ASSERT_EQ(mq_send(q.fd(), "1", 1, 0), 0);
  ASSERT_EQ(mq_send(q.fd(), "2", 1, 0), 0);
  MaybeSave();
  EXPECT_ERRNO(mq_send(q.fd(), "3", 1, 0), EAGAIN);
  // A higher priority doesn't make room.
  EXPECT_ERRNO(mq_send(q.fd(), "3", 1, 100), EAGAIN);
  // EMSGSIZE comes before EAGAIN.
  char big[17] = {};
  EXPECT_ERRNO(mq_send(q.fd(), big, 17, 0), EMSGSIZE);
  EXPECT_EQ(CurMsgs(q.fd()), 2);
}

TEST(MqTest, EmptyNonblockingReceiveEAGAIN) {
  ScopedMq q = CreateQueue(2, 16, O_RDWR | O_NONBLOCK);
  ASSERT_TRUE(q.ok()) << strerror(errno);
  MaybeSave();
  char buf[16];
  EXPECT_ERRNO(mq_receive(q.fd(), buf, sizeof(buf), nullptr), EAGAIN);
  // A timeout doesn't matter with O_NONBLOCK.
  struct timespec ts = RealtimeIn(1000);
  EXPECT_ERRNO(mq_timedreceive(q.fd(), buf, sizeof(buf), nullptr, &ts), EAGAIN);
}

TEST(MqTest, TimedReceiveDeadlineInPastETIMEDOUT) {
  ScopedMq q = CreateQueue(2, 16);
  ASSERT_TRUE(q.ok()) << strerror(errno);
  char buf[16];
  struct timespec past = RealtimeIn(-1000);
  EXPECT_ERRNO(mq_timedreceive(q.fd(), buf, sizeof(buf), nullptr, &past), ETIMEDOUT);
  struct timespec epoch = {0, 0};
  EXPECT_ERRNO(mq_timedreceive(q.fd(), buf, sizeof(buf), nullptr, &epoch), ETIMEDOUT);
}

TEST(MqTest, TimedSendDeadlineInPastETIMEDOUT) {
  ScopedMq q = CreateQueue(1, 16);
  ASSERT_TRUE(q.ok()) << strerror(errno);
  ASSERT_EQ(mq_send(q.fd(), "a", 1, 0), 0);
  MaybeSave();
  struct timespec past = RealtimeIn(-1000);
  EXPECT_ERRNO(mq_timedsend(q.fd(), "b", 1, 0, &past), ETIMEDOUT);
  EXPECT_EQ(CurMsgs(q.fd()), 1);
}

TEST(MqTest, TimedReceiveNearDeadlineETIMEDOUT) {
  ScopedMq q = CreateQueue(2, 16);
  ASSERT_TRUE(q.ok()) << strerror(errno);
  char buf[16];
  ExpectTimesOutIn100Ms([&](const struct timespec* deadline) {
    return mq_timedreceive(q.fd(), buf, sizeof(buf), nullptr, deadline);
  });
}

TEST(MqTest, TimedSendNearDeadlineETIMEDOUT) {
  ScopedMq q = CreateQueue(1, 16);
  ASSERT_TRUE(q.ok()) << strerror(errno);
  ASSERT_EQ(mq_send(q.fd(), "a", 1, 0), 0);
  ExpectTimesOutIn100Ms([&](const struct timespec* deadline) {
    return mq_timedsend(q.fd(), "b", 1, 0, deadline);
  });
  EXPECT_EQ(CurMsgs(q.fd()), 1);
}

// No wait needed: a deadline in the past doesn't matter.
TEST(MqTest, PastDeadlineIgnoredWhenNoWaitNeeded) {
  ScopedMq q = CreateQueue(2, 16);
  ASSERT_TRUE(q.ok()) << strerror(errno);
  struct timespec past = {0, 0};
  EXPECT_EQ(mq_timedsend(q.fd(), "a", 1, 0, &past), 0) << strerror(errno);
  char buf[16];
  EXPECT_EQ(mq_timedreceive(q.fd(), buf, sizeof(buf), nullptr, &past), 1)
      << strerror(errno);
}

// An invalid timeout is EINVAL even when a message is waiting or there is
// room (Linux checks it at entry).
TEST(MqTest, InvalidTimeoutEINVAL) {
  ScopedMq q = CreateQueue(2, 16);
  ASSERT_TRUE(q.ok()) << strerror(errno);
  ASSERT_EQ(mq_send(q.fd(), "a", 1, 0), 0);
  MaybeSave();
  const struct timespec bad[] = {
      {0, 1000000000L}, {0, -1}, {-1, 0}, {time(nullptr) + 10, 1000000000L}};
  char buf[16];
  for (const auto& ts : bad) {
    errno = 0;
    EXPECT_EQ(mq_timedsend(q.fd(), "b", 1, 0, &ts), -1)
        << ts.tv_sec << " " << ts.tv_nsec;
    EXPECT_EQ(errno, EINVAL);
    errno = 0;
    EXPECT_EQ(mq_timedreceive(q.fd(), buf, sizeof(buf), nullptr, &ts), -1)
        << ts.tv_sec << " " << ts.tv_nsec;
    EXPECT_EQ(errno, EINVAL);
  }
  EXPECT_EQ(CurMsgs(q.fd()), 1);
  struct timespec ok = {0, 999999999L};
  EXPECT_EQ(mq_timedreceive(q.fd(), buf, sizeof(buf), nullptr, &ok), 1);
}

TEST(MqTest, BlockingReceiveWokenBySendFromThread) {
  ScopedMq q = CreateQueue(2, 16);
  ASSERT_TRUE(q.ok()) << strerror(errno);
  std::thread sender = SendLater(q.fd(), "wake", 2);  // while blocked in mq_timedreceive
  char buf[16] = {};
  unsigned prio = 0;
  struct timespec deadline = RealtimeIn(10000);
  ssize_t n = mq_timedreceive(q.fd(), buf, sizeof(buf), &prio, &deadline);
  int e = errno;
  sender.join();
  ASSERT_EQ(n, 4) << strerror(e);
  EXPECT_EQ(std::string(buf, 4), "wake");
  EXPECT_EQ(prio, 2u);
  EXPECT_EQ(CurMsgs(q.fd()), 0);
}

TEST(MqTest, BlockingReceiveWokenBySendFromProcess) {
  ScopedMq q = CreateQueue(2, 16);
  ASSERT_TRUE(q.ok()) << strerror(errno);
  std::string name = q.name();
  fflush(nullptr);
  pid_t pid = fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    SleepMs(50);
    MaybeSave();  // the parent is blocked in mq_timedreceive
    mqd_t fd = mq_open(name.c_str(), O_WRONLY);
    if (fd < 0 || mq_send(fd, "proc", 4, 9) != 0) _exit(1);
    _exit(0);
  }
  char buf[16] = {};
  unsigned prio = 0;
  struct timespec deadline = RealtimeIn(10000);
  ssize_t n = mq_timedreceive(q.fd(), buf, sizeof(buf), &prio, &deadline);
  int e = errno;
  ASSERT_WAIT_CHILD_OK(pid);
  ASSERT_EQ(n, 4) << strerror(e);
  EXPECT_EQ(std::string(buf, 4), "proc");
  EXPECT_EQ(prio, 9u);
}

TEST(MqTest, BlockingSendWokenByReceive) {
  ScopedMq q = CreateQueue(1, 16);
  ASSERT_TRUE(q.ok()) << strerror(errno);
  ASSERT_EQ(mq_send(q.fd(), "first", 5, 0), 0);
  ThreadCall sender(TimedSendCall(q.fd(), "second", 0, 10000));
  SleepMs(50);
  EXPECT_FALSE(sender.done.load()) << "send on a full queue did not block";
  MaybeSave();  // with the sender blocked
  EXPECT_FALSE(sender.done.load()) << "the blocked send returned across a save";
  char buf[16] = {};
  ASSERT_EQ(mq_receive(q.fd(), buf, sizeof(buf), nullptr), 5);
  EXPECT_EQ(std::string(buf, 5), "first");
  sender.Join();
  EXPECT_EQ(sender.ret.load(), 0) << strerror(sender.ret.load());
  ASSERT_EQ(mq_receive(q.fd(), buf, sizeof(buf), nullptr), 6);
  EXPECT_EQ(std::string(buf, 6), "second");
}

// Blocked receivers (of equal scheduling priority) are served in the order
// they started waiting, each getting one message.
TEST(MqTest, BlockedReceiversServedInArrivalOrder) {
  ScopedMq q = CreateQueue(2, 16);
  ASSERT_TRUE(q.ok()) << strerror(errno);
  char buf[2][16] = {};
  ThreadCall first(TimedReceiveCall(q.fd(), buf[0], sizeof(buf[0]), 10000));
  ASSERT_TRUE(WaitTidBlocked(first.tid));
  ThreadCall second(TimedReceiveCall(q.fd(), buf[1], sizeof(buf[1]), 10000));
  ASSERT_TRUE(WaitTidBlocked(second.tid));
  ASSERT_EQ(mq_send(q.fd(), "m1", 2, 0), 0);
  first.Join();
  // One receiver left blocked. (Not with both: blocked tasks restart their
  // calls after a restore in no particular order; see known_failures.txt.)
  MaybeSave();
  ASSERT_EQ(mq_send(q.fd(), "m2", 2, 9), 0);
  second.Join();
  EXPECT_EQ(first.ret.load(), 2);
  EXPECT_EQ(std::string(buf[0], 2), "m1");
  EXPECT_EQ(second.ret.load(), 2);
  EXPECT_EQ(std::string(buf[1], 2), "m2");
  EXPECT_EQ(CurMsgs(q.fd()), 0);
}

// Blocked senders (of equal scheduling priority) get room in the order they
// started waiting, whatever their messages' priorities.
TEST(MqTest, BlockedSendersServedInArrivalOrder) {
  ScopedMq q = CreateQueue(1, 16);
  ASSERT_TRUE(q.ok()) << strerror(errno);
  ASSERT_EQ(mq_send(q.fd(), "full", 4, 0), 0);
  ThreadCall first(TimedSendCall(q.fd(), "low", 1, 10000));
  ASSERT_TRUE(WaitTidBlocked(first.tid));
  ThreadCall second(TimedSendCall(q.fd(), "high", 30000, 10000));
  ASSERT_TRUE(WaitTidBlocked(second.tid));
  char buf[16];
  ASSERT_EQ(mq_receive(q.fd(), buf, sizeof(buf), nullptr), 4);
  first.Join();
  EXPECT_EQ(first.ret.load(), 0);
  MaybeSave();  // one sender left blocked, on a full queue
  ASSERT_NO_FATAL_FAILURE(ExpectReceive(q.fd(), buf, sizeof(buf), "low", 1));
  second.Join();
  EXPECT_EQ(second.ret.load(), 0);
  ASSERT_NO_FATAL_FAILURE(ExpectReceive(q.fd(), buf, sizeof(buf), "high", 30000));
}

// A handler without SA_RESTART interrupts a blocked receive with EINTR.
TEST(MqTest, ReceiveInterruptedBySignalEINTR) {
  ScopedSigaction sa(SIGUSR1, CountSignal, 0);
  ASSERT_TRUE(sa.ok());
  ScopedMq q = CreateQueue(2, 16);
  ASSERT_TRUE(q.ok()) << strerror(errno);
  ExpectInterruptedEINTR(
      [&] {
        char buf[16];
        struct timespec deadline = RealtimeIn(10000);
        return mq_timedreceive(q.fd(), buf, sizeof(buf), nullptr, &deadline);
      },
      "receive");
  EXPECT_GE(g_signals.load(), 1);
}

TEST(MqTest, SendInterruptedBySignalEINTR) {
  ScopedSigaction sa(SIGUSR1, CountSignal, 0);
  ASSERT_TRUE(sa.ok());
  ScopedMq q = CreateQueue(1, 16);
  ASSERT_TRUE(q.ok()) << strerror(errno);
  ASSERT_EQ(mq_send(q.fd(), "a", 1, 0), 0);
  ExpectInterruptedEINTR(
      [&] {
        struct timespec deadline = RealtimeIn(10000);
        return mq_timedsend(q.fd(), "b", 1, 0, &deadline);
      },
      "send");
  EXPECT_EQ(CurMsgs(q.fd()), 1);
}

// With SA_RESTART the interrupted receive is restarted and completes when a
// message arrives later.
TEST(MqTest, ReceiveRestartedWithSaRestart) {
  ScopedSigaction sa(SIGUSR1, CountSignal, SA_RESTART);
  ASSERT_TRUE(sa.ok());
  ScopedMq q = CreateQueue(2, 16);
  ASSERT_TRUE(q.ok()) << strerror(errno);
  char buf[16] = {};
  ThreadCall receiver(TimedReceiveCall(q.fd(), buf, sizeof(buf), 10000));
  ASSERT_NO_FATAL_FAILURE(ExpectRestartedAfterSignal(receiver));
  ASSERT_EQ(mq_send(q.fd(), "late", 4, 0), 0);
  receiver.Join();
  EXPECT_EQ(receiver.ret.load(), 4) << strerror(receiver.err.load());
  EXPECT_EQ(std::string(buf, 4), "late");
}

TEST(MqTest, SendRestartedWithSaRestart) {
  ScopedSigaction sa(SIGUSR1, CountSignal, SA_RESTART);
  ASSERT_TRUE(sa.ok());
  ScopedMq q = CreateQueue(1, 16);
  ASSERT_TRUE(q.ok()) << strerror(errno);
  ASSERT_EQ(mq_send(q.fd(), "a", 1, 0), 0);
  ThreadCall sender(TimedSendCall(q.fd(), "b", 0, 10000));
  ASSERT_NO_FATAL_FAILURE(ExpectRestartedAfterSignal(sender));
  char buf[16];
  ASSERT_EQ(mq_receive(q.fd(), buf, sizeof(buf), nullptr), 1);
  sender.Join();
  EXPECT_EQ(sender.ret.load(), 0) << strerror(sender.ret.load());
  ASSERT_EQ(mq_receive(q.fd(), buf, sizeof(buf), nullptr), 1);
  EXPECT_EQ(buf[0], 'b');
}

TEST(MqTest, ZeroLengthMessage) {
  ScopedMq q = CreateQueue(2, 16);
  ASSERT_TRUE(q.ok()) << strerror(errno);
  ASSERT_EQ(mq_send(q.fd(), "", 0, 7), 0) << strerror(errno);
  ASSERT_EQ(syscall(SYS_mq_timedsend, q.fd(), nullptr, 0, 1, nullptr), 0)
      << strerror(errno);
  MaybeSave();
  EXPECT_EQ(CurMsgs(q.fd()), 2);
  char buf[16];
  unsigned prio = 0;
  EXPECT_EQ(mq_receive(q.fd(), buf, sizeof(buf), &prio), 0);
  EXPECT_EQ(prio, 7u);
  EXPECT_EQ(mq_receive(q.fd(), buf, sizeof(buf), &prio), 0);
  EXPECT_EQ(prio, 1u);
  EXPECT_EQ(CurMsgs(q.fd()), 0);
}

TEST(MqTest, MessageOfExactlyMsgsize) {
  ScopedMq q = CreateQueue(2, 1000);
  ASSERT_TRUE(q.ok()) << strerror(errno);
  std::string m(1000, 0);
  for (size_t i = 0; i < m.size(); i++) m[i] = static_cast<char>(i * 7 + 3);
  ASSERT_EQ(mq_send(q.fd(), m.data(), m.size(), 0), 0) << strerror(errno);
  MaybeSave();
  std::string buf(1000, 0);
  ASSERT_EQ(mq_receive(q.fd(), &buf[0], buf.size(), nullptr), 1000);
  EXPECT_EQ(buf, m);
  // A larger buffer is fine too.
  ASSERT_EQ(mq_send(q.fd(), m.data(), m.size(), 0), 0);
  std::string big(5000, 0);
  ASSERT_EQ(mq_receive(q.fd(), &big[0], big.size(), nullptr), 1000);
  EXPECT_EQ(big.substr(0, 1000), m);
}

// A bad message pointer is EFAULT and nothing is queued; with length 0 the
// pointer is not read, so the send succeeds.
TEST(MqTest, SendBadBufferEFAULT) {
  ScopedMq q = CreateQueue(2, 16);
  ASSERT_TRUE(q.ok()) << strerror(errno);
  EXPECT_ERRNO(mq_send(q.fd(), reinterpret_cast<const char*>(1), 5, 0), EFAULT);
  EXPECT_EQ(CurMsgs(q.fd()), 0);
  EXPECT_EQ(mq_send(q.fd(), reinterpret_cast<const char*>(1), 0, 0), 0)
      << strerror(errno);
  MaybeSave();
  EXPECT_EQ(CurMsgs(q.fd()), 1);
}

// Linux removes the message from the queue before copying it out: on EFAULT
// (bad buffer or bad priority pointer) the message is lost.
TEST(MqTest, ReceiveBadBufferEFAULTLosesMessage) {
  ScopedMq q = CreateQueue(4, 16);
  ASSERT_TRUE(q.ok()) << strerror(errno);
  ASSERT_EQ(mq_send(q.fd(), "one", 3, 3), 0);
  ASSERT_EQ(mq_send(q.fd(), "two", 3, 2), 0);
  ASSERT_EQ(mq_send(q.fd(), "three", 5, 1), 0);
  EXPECT_ERRNO(mq_receive(q.fd(), reinterpret_cast<char*>(1), 16, nullptr), EFAULT);
  MaybeSave();
  EXPECT_EQ(CurMsgs(q.fd()), 2);
  char buf[16];
  errno = 0;
  EXPECT_EQ(mq_receive(q.fd(), buf, sizeof(buf), reinterpret_cast<unsigned*>(1)),
            -1);
  EXPECT_EQ(errno, EFAULT);
  EXPECT_EQ(CurMsgs(q.fd()), 1);
  ASSERT_NO_FATAL_FAILURE(ExpectReceive(q.fd(), buf, sizeof(buf), "three", 1));
}

// A zero-length message can be received into a bad buffer: nothing is copied.
TEST(MqTest, ReceiveZeroLengthIntoBadBuffer) {
  ScopedMq q = CreateQueue(2, 16);
  ASSERT_TRUE(q.ok()) << strerror(errno);
  ASSERT_EQ(mq_send(q.fd(), "", 0, 4), 0);
  MaybeSave();
  unsigned prio = 0;
  EXPECT_EQ(mq_receive(q.fd(), reinterpret_cast<char*>(1), 16, &prio), 0)
      << strerror(errno);
  EXPECT_EQ(prio, 4u);
}

// ---------------------------------------------------------------------------
// mq_getsetattr.

TEST(MqTest, GetAttrCountsMessages) {
  ScopedMq q = CreateQueue(5, 40);
  ASSERT_TRUE(q.ok()) << strerror(errno);
  for (int i = 1; i <= 5; i++) {
    ASSERT_EQ(mq_send(q.fd(), "m", 1, i), 0);
    struct mq_attr a = {};
    ASSERT_EQ(mq_getattr(q.fd(), &a), 0);
    EXPECT_EQ(a.mq_flags, 0);
    EXPECT_EQ(a.mq_maxmsg, 5);
    EXPECT_EQ(a.mq_msgsize, 40);
    EXPECT_EQ(a.mq_curmsgs, i);
  }
  // Another descriptor of the same queue sees the same count.
  mqd_t fd2 = mq_open(q.cname(), O_RDONLY | O_NONBLOCK);
  ASSERT_GE(fd2, 0);
  MaybeSave();
  struct mq_attr a = {};
  ASSERT_EQ(mq_getattr(fd2, &a), 0);
  EXPECT_EQ(a.mq_curmsgs, 5);
  EXPECT_EQ(a.mq_flags, O_NONBLOCK);
  mq_close(fd2);
}

// New flags with bits other than O_NONBLOCK are EINVAL, checked before the
// descriptor.
TEST(MqTest, SetAttrInvalidFlagsBeforeEBADF) {
  ScopedMq q = CreateQueue(2, 16);
  ASSERT_TRUE(q.ok()) << strerror(errno);
  for (long flags : {1L, (long)O_NONBLOCK | 1, (long)O_RDWR, (long)O_CLOEXEC,
                     (long)O_APPEND, -1L}) {
    struct mq_attr a = {};
    a.mq_flags = flags;
    errno = 0;
    EXPECT_EQ(mq_setattr(q.fd(), &a, nullptr), -1) << flags;
    EXPECT_EQ(errno, EINVAL) << flags;
    errno = 0;
    EXPECT_EQ(mq_setattr(-1, &a, nullptr), -1) << flags;
    EXPECT_EQ(errno, EINVAL) << flags;
  }
  struct mq_attr a = {};
  ASSERT_EQ(mq_getattr(q.fd(), &a), 0);
  EXPECT_EQ(a.mq_flags, 0);
}

TEST(MqTest, SetAttrBadDescriptorEBADF) {
  struct mq_attr a = {};
  a.mq_flags = O_NONBLOCK;
  EXPECT_ERRNO(mq_setattr(-1, &a, nullptr), EBADF);
  int p[2];
  ASSERT_EQ(pipe(p), 0);
  ScopedFd r(p[0]), w(p[1]);
  EXPECT_ERRNO(mq_setattr(r.get(), &a, nullptr), EBADF);
  EXPECT_ERRNO(mq_getattr(w.get(), &a), EBADF);
}

// Only O_NONBLOCK changes; maxmsg, msgsize and curmsgs of the new attr are
// ignored. The old attributes come back in omqstat.
TEST(MqTest, SetAttrOnlyChangesNonblock) {
  ScopedMq q = CreateQueue(3, 24);
  ASSERT_TRUE(q.ok()) << strerror(errno);
  ASSERT_EQ(mq_send(q.fd(), "x", 1, 0), 0);
  struct mq_attr n = {};
  n.mq_flags = O_NONBLOCK;
  n.mq_maxmsg = 9;
  n.mq_msgsize = 99;
  n.mq_curmsgs = 7;
  struct mq_attr old = {};
  ASSERT_EQ(mq_setattr(q.fd(), &n, &old), 0) << strerror(errno);
  EXPECT_EQ(old.mq_flags, 0);
  EXPECT_EQ(old.mq_maxmsg, 3);
  EXPECT_EQ(old.mq_msgsize, 24);
  EXPECT_EQ(old.mq_curmsgs, 1);
  MaybeSave();
  struct mq_attr a = {};
  ASSERT_EQ(mq_getattr(q.fd(), &a), 0);
  EXPECT_EQ(a.mq_flags, O_NONBLOCK);
  EXPECT_EQ(a.mq_maxmsg, 3);
  EXPECT_EQ(a.mq_msgsize, 24);
  EXPECT_EQ(a.mq_curmsgs, 1);
  EXPECT_EQ(fcntl(q.fd(), F_GETFL) & O_NONBLOCK, O_NONBLOCK);

  n.mq_flags = 0;
  ASSERT_EQ(mq_setattr(q.fd(), &n, &old), 0);
  EXPECT_EQ(old.mq_flags, O_NONBLOCK);
  ASSERT_EQ(mq_getattr(q.fd(), &a), 0);
  EXPECT_EQ(a.mq_flags, 0);
  EXPECT_EQ(fcntl(q.fd(), F_GETFL) & O_NONBLOCK, 0);
}

TEST(MqTest, SetAttrNonblockMakesReceiveEAGAIN) {
  ScopedMq q = CreateQueue(1, 16);
  ASSERT_TRUE(q.ok()) << strerror(errno);
  struct mq_attr n = {};
  n.mq_flags = O_NONBLOCK;
  ASSERT_EQ(mq_setattr(q.fd(), &n, nullptr), 0) << strerror(errno);
  MaybeSave();
  char buf[16];
  EXPECT_ERRNO(mq_receive(q.fd(), buf, sizeof(buf), nullptr), EAGAIN);
  ASSERT_EQ(mq_send(q.fd(), "a", 1, 0), 0);
  EXPECT_ERRNO(mq_send(q.fd(), "b", 1, 0), EAGAIN);
  // Back to blocking: a receive on an empty queue waits (until its deadline).
  ASSERT_EQ(mq_receive(q.fd(), buf, sizeof(buf), nullptr), 1);
  n.mq_flags = 0;
  ASSERT_EQ(mq_setattr(q.fd(), &n, nullptr), 0);
  struct timespec deadline = RealtimeIn(50);
  EXPECT_ERRNO(mq_timedreceive(q.fd(), buf, sizeof(buf), nullptr, &deadline), ETIMEDOUT);
}

// O_NONBLOCK belongs to the open file description: a dup shares it, another
// mq_open of the same queue doesn't. fcntl(F_SETFL) changes it too.
TEST(MqTest, NonblockIsPerOpenFileDescription) {
  ScopedMq q = CreateQueue(2, 16);
  ASSERT_TRUE(q.ok()) << strerror(errno);
  int dupfd = dup(q.fd());
  ASSERT_GE(dupfd, 0);
  ScopedFd d(dupfd);
  mqd_t other = mq_open(q.cname(), O_RDWR);
  ASSERT_GE(other, 0);
  struct mq_attr n = {};
  n.mq_flags = O_NONBLOCK;
  ASSERT_EQ(mq_setattr(q.fd(), &n, nullptr), 0);
  MaybeSave();
  struct mq_attr a = {};
  ASSERT_EQ(mq_getattr(dupfd, &a), 0);
  EXPECT_EQ(a.mq_flags, O_NONBLOCK);
  ASSERT_EQ(mq_getattr(other, &a), 0);
  EXPECT_EQ(a.mq_flags, 0);

  ASSERT_EQ(fcntl(other, F_SETFL, O_NONBLOCK), 0);
  MaybeSave();
  ASSERT_EQ(mq_getattr(other, &a), 0);
  EXPECT_EQ(a.mq_flags, O_NONBLOCK);
  ASSERT_EQ(fcntl(dupfd, F_SETFL, 0), 0);
  ASSERT_EQ(mq_getattr(q.fd(), &a), 0);
  EXPECT_EQ(a.mq_flags, 0);
  mq_close(other);
}

TEST(MqTest, GetSetAttrNullBothIsNoop) {
  ScopedMq q = CreateQueue(2, 16);
  ASSERT_TRUE(q.ok()) << strerror(errno);
  EXPECT_EQ(syscall(SYS_mq_getsetattr, q.fd(), nullptr, nullptr), 0);
  EXPECT_ERRNO(syscall(SYS_mq_getsetattr, -1, nullptr, nullptr), EBADF);
}

// Linux applies the new flags before copying out the old attributes: with a
// bad omqstat pointer the call fails with EFAULT but O_NONBLOCK is set.
TEST(MqTest, SetAttrBadPointersEFAULT) {
  ScopedMq q = CreateQueue(2, 16);
  ASSERT_TRUE(q.ok()) << strerror(errno);
  errno = 0;
  EXPECT_EQ(syscall(SYS_mq_getsetattr, q.fd(), reinterpret_cast<void*>(1),
                    nullptr),
            -1);
  EXPECT_EQ(errno, EFAULT);
  struct mq_attr n = {};
  n.mq_flags = O_NONBLOCK;
  EXPECT_ERRNO(mq_setattr(q.fd(), &n, reinterpret_cast<struct mq_attr*>(1)), EFAULT);
  MaybeSave();
  struct mq_attr a = {};
  ASSERT_EQ(mq_getattr(q.fd(), &a), 0);
  EXPECT_EQ(a.mq_flags, O_NONBLOCK);
}

// ---------------------------------------------------------------------------
// Lifetime and mq_unlink.

TEST(MqTest, QueueOutlivesItsDescriptors) {
  ScopedMq q = CreateQueue(4, 16);
  ASSERT_TRUE(q.ok()) << strerror(errno);
  ASSERT_EQ(mq_send(q.fd(), "low", 3, 1), 0);
  ASSERT_EQ(mq_send(q.fd(), "high", 4, 5), 0);
  q.CloseFd();
  MaybeSave();  // held by its name only
  mqd_t fd = mq_open(q.cname(), O_RDONLY);
  ASSERT_GE(fd, 0) << strerror(errno);
  EXPECT_EQ(CurMsgs(fd), 2);
  char buf[16];
  EXPECT_EQ(mq_receive(fd, buf, sizeof(buf), nullptr), 4);
  EXPECT_EQ(std::string(buf, 4), "high");
  EXPECT_EQ(mq_receive(fd, buf, sizeof(buf), nullptr), 3);
  EXPECT_EQ(std::string(buf, 3), "low");
  mq_close(fd);
}

TEST(MqTest, UnlinkedQueueWorksThroughOpenDescriptors) {
  ScopedMq q = CreateQueue(4, 16);
  ASSERT_TRUE(q.ok()) << strerror(errno);
  mqd_t fd2 = mq_open(q.cname(), O_RDONLY);
  ASSERT_GE(fd2, 0);
  ASSERT_EQ(mq_send(q.fd(), "before", 6, 0), 0);
  ASSERT_EQ(mq_unlink(q.cname()), 0) << strerror(errno);
  MaybeSave();
  EXPECT_ERRNO(mq_open(q.cname(), O_RDWR), ENOENT);
  ASSERT_EQ(mq_send(q.fd(), "after", 5, 0), 0) << strerror(errno);
  EXPECT_EQ(CurMsgs(fd2), 2);

  // The name can be reused for a new, distinct queue.
  struct mq_attr attr = QueueAttr(2, 8);
  mqd_t fresh = mq_open(q.cname(), O_RDWR | O_CREAT | O_EXCL, 0600, &attr);
  ASSERT_GE(fresh, 0) << strerror(errno);
  MaybeSave();
  EXPECT_EQ(CurMsgs(fresh), 0);
  struct mq_attr a = {};
  ASSERT_EQ(mq_getattr(fresh, &a), 0);
  EXPECT_EQ(a.mq_msgsize, 8);
  mq_close(fresh);

  char buf[16];
  EXPECT_EQ(mq_receive(fd2, buf, sizeof(buf), nullptr), 6);
  EXPECT_EQ(mq_receive(fd2, buf, sizeof(buf), nullptr), 5);
  mq_close(fd2);
}

TEST(MqTest, UnlinkMissingENOENT) {
  ScopedQueueName name;
  EXPECT_ERRNO(mq_unlink(name.c_str()), ENOENT);
  ScopedMq q = CreateQueue(2, 16);
  ASSERT_TRUE(q.ok());
  ASSERT_EQ(mq_unlink(q.cname()), 0);
  MaybeSave();
  EXPECT_ERRNO(mq_unlink(q.cname()), ENOENT);
  EXPECT_ERRNO(mq_unlink("/"), ENOENT);
}

TEST(MqTest, UnlinkNameTooLongENAMETOOLONG) {
  std::string name = "/" + std::string(256, 'u');
  EXPECT_ERRNO(mq_unlink(name.c_str()), ENAMETOOLONG);
}

TEST(MqTest, UnlinkBadNames) {
  errno = 0;
  EXPECT_EQ(mq_unlink("noslash"), -1);  // glibc
  EXPECT_EQ(errno, EINVAL);
  std::string name = UniqueQueueName() + "/x";
  EXPECT_ERRNO(mq_unlink(name.c_str()), EACCES);
  EXPECT_ERRNO(syscall(SYS_mq_unlink, reinterpret_cast<char*>(1)), EFAULT);
}

// The queue directory is sticky: a non-root user can't remove another user's
// queue. The kernel says EPERM (as unlink(2) in a sticky directory); glibc's
// mq_unlink turns EPERM into EACCES.
TEST(MqTest, UnlinkByNonOwner) {
  mode_t old = umask(0);
  ScopedMq q = CreateQueue(2, 16, O_RDWR, 0666);
  umask(old);
  ASSERT_TRUE(q.ok()) << strerror(errno);
  std::string name = q.name();
  EXPECT_CHILD_OK([&] {
    CHILD_CHECK(BecomeUser(kNobody, kNogroup));
    MaybeSave();  // the child's credentials and the queue's owner are kept
    CHILD_CHECK_ERRNO(mq_unlink(name.c_str()), EACCES);
    CHILD_CHECK_ERRNO(syscall(SYS_mq_unlink, name.c_str() + 1), EPERM);
    // Still there.
    mqd_t fd = mq_open(name.c_str(), O_RDWR);
    CHILD_CHECK(fd >= 0);
  });
  EXPECT_EQ(mq_unlink(q.cname()), 0) << strerror(errno);
}

// A non-root owner can unlink its queue, and root can unlink anybody's.
TEST(MqTest, UnlinkByOwnerAndByRoot) {
  ScopedQueueName n1, n2;
  EXPECT_CHILD_OK([&] {
    CHILD_CHECK(BecomeUser(kNobody, kNogroup));
    mqd_t fd = mq_open(n1.c_str(), O_RDWR | O_CREAT | O_EXCL, 0600, nullptr);
    CHILD_CHECK(fd >= 0);
    CHILD_CHECK_OK(mq_unlink(n1.c_str()));
    fd = mq_open(n2.c_str(), O_RDWR | O_CREAT | O_EXCL, 0600, nullptr);
    CHILD_CHECK(fd >= 0);
  });
  MaybeSave();  // n2 is owned by nobody
  EXPECT_ERRNO(mq_unlink(n1.c_str()), ENOENT);
  EXPECT_EQ(mq_unlink(n2.c_str()), 0) << strerror(errno);
}

TEST(MqTest, ForkedChildUsesInheritedDescriptor) {
  ScopedMq q = CreateQueue(2, 16);
  ASSERT_TRUE(q.ok()) << strerror(errno);
  mqd_t fd = q.fd();
  EXPECT_CHILD_OK([&] {
    MaybeSave();
    CHILD_CHECK_OK(mq_send(fd, "kid", 3, 1));
    CHILD_CHECK_OK(mq_close(fd));
  });
  char buf[16];
  EXPECT_EQ(mq_receive(q.fd(), buf, sizeof(buf), nullptr), 3);
}

TEST(MqTest, CloseAndDup) {
  ScopedMq q = CreateQueue(2, 16);
  ASSERT_TRUE(q.ok()) << strerror(errno);
  int d = dup(q.fd());
  ASSERT_GE(d, 0);
  MaybeSave();
  EXPECT_EQ(fcntl(d, F_GETFD) & FD_CLOEXEC, 0);  // dup drops close-on-exec
  ASSERT_EQ(mq_send(d, "d", 1, 0), 0) << strerror(errno);
  ASSERT_EQ(mq_close(d), 0);
  EXPECT_ERRNO(mq_close(d), EBADF);
  EXPECT_EQ(CurMsgs(q.fd()), 1);
}

// ---------------------------------------------------------------------------
// poll, select, epoll.

// epoll_wait, retried on EINTR: like Linux after a stop signal (signal(7)),
// a sandbox checkpointed while a thread waits in epoll_wait makes it return
// EINTR without any handler having run.
int EpollWaitRetryEINTR(int ep, struct epoll_event* out, int n, int timeout_ms) {
  long long deadline = MonotonicNowNs() + timeout_ms * 1000000LL;
  for (;;) {
    int r = epoll_wait(ep, out, n, timeout_ms);
    if (r >= 0 || errno != EINTR) return r;
    timeout_ms = std::max(0LL, (deadline - MonotonicNowNs()) / 1000000LL);
  }
}

short PollEvents(int fd) {
  struct pollfd p = {fd, POLLIN | POLLOUT | POLLRDNORM | POLLWRNORM, 0};
  if (poll(&p, 1, 0) < 0) return -1;
  return p.revents;
}

TEST(MqTest, PollReadableAndWritable) {
  ScopedMq q = CreateQueue(2, 16);
  ASSERT_TRUE(q.ok()) << strerror(errno);
  EXPECT_EQ(PollEvents(q.fd()), POLLOUT | POLLWRNORM);
  ASSERT_EQ(mq_send(q.fd(), "a", 1, 0), 0);
  MaybeSave();
  EXPECT_EQ(PollEvents(q.fd()), POLLIN | POLLRDNORM | POLLOUT | POLLWRNORM);
  ASSERT_EQ(mq_send(q.fd(), "b", 1, 0), 0);
  EXPECT_EQ(PollEvents(q.fd()), POLLIN | POLLRDNORM);
  char buf[16];
  ASSERT_EQ(mq_receive(q.fd(), buf, sizeof(buf), nullptr), 1);
  EXPECT_EQ(PollEvents(q.fd()), POLLIN | POLLRDNORM | POLLOUT | POLLWRNORM);
  ASSERT_EQ(mq_receive(q.fd(), buf, sizeof(buf), nullptr), 1);
  EXPECT_EQ(PollEvents(q.fd()), POLLOUT | POLLWRNORM);
}

// Readiness depends on the queue only, not on the descriptor's access mode.
TEST(MqTest, PollIgnoresAccessMode) {
  ScopedMq q = CreateQueue(1, 16);
  ASSERT_TRUE(q.ok()) << strerror(errno);
  mqd_t ro, wo;
  ASSERT_NO_FATAL_FAILURE(OpenReadOnlyAndWriteOnly(q, &ro, &wo));
  EXPECT_EQ(PollEvents(ro), POLLOUT | POLLWRNORM);
  ASSERT_EQ(mq_send(q.fd(), "a", 1, 0), 0);
  MaybeSave();
  EXPECT_EQ(PollEvents(wo), POLLIN | POLLRDNORM);
  mq_close(ro);
  mq_close(wo);
}

TEST(MqTest, SelectReadableAndWritable) {
  ScopedMq q = CreateQueue(1, 16);
  ASSERT_TRUE(q.ok()) << strerror(errno);
  ASSERT_LT(q.fd(), FD_SETSIZE);
  auto check = [&](bool want_r, bool want_w) {
    fd_set r, w;
    FD_ZERO(&r);
    FD_ZERO(&w);
    FD_SET(q.fd(), &r);
    FD_SET(q.fd(), &w);
    struct timeval tv = {0, 0};
    int n = select(q.fd() + 1, &r, &w, nullptr, &tv);
    EXPECT_EQ(n, (int)want_r + (int)want_w);
    EXPECT_EQ((bool)FD_ISSET(q.fd(), &r), want_r);
    EXPECT_EQ((bool)FD_ISSET(q.fd(), &w), want_w);
  };
  check(false, true);
  ASSERT_EQ(mq_send(q.fd(), "a", 1, 0), 0);
  MaybeSave();
  check(true, false);
}

TEST(MqTest, PollWakesOnSendFromThread) {
  ScopedMq q = CreateQueue(2, 16);
  ASSERT_TRUE(q.ok()) << strerror(errno);
  std::thread sender = SendLater(q.fd(), "a", 0);  // while blocked in poll
  struct pollfd p = {q.fd(), POLLIN, 0};
  int n = poll(&p, 1, 10000);
  sender.join();
  EXPECT_EQ(n, 1);
  EXPECT_EQ(p.revents, POLLIN);
}

TEST(MqTest, EpollWakesOnSendFromThread) {
  ScopedMq q = CreateQueue(2, 16);
  ASSERT_TRUE(q.ok()) << strerror(errno);
  ScopedFd ep(epoll_create1(EPOLL_CLOEXEC));
  ASSERT_GE(ep.get(), 0);
  struct epoll_event ev = {};
  ev.events = EPOLLIN;
  ev.data.u64 = 0xabcdef;
  ASSERT_EQ(epoll_ctl(ep.get(), EPOLL_CTL_ADD, q.fd(), &ev), 0) << strerror(errno);
  struct epoll_event out[2] = {};
  EXPECT_EQ(epoll_wait(ep.get(), out, 2, 0), 0);
  long long start = MonotonicNowNs();
  std::thread sender = SendLater(q.fd(), "a", 0);  // while blocked in epoll_wait
  int n = EpollWaitRetryEINTR(ep.get(), out, 2, 10000);
  long long elapsed = MonotonicNowNs() - start;
  sender.join();
  ASSERT_EQ(n, 1) << strerror(errno);
  EXPECT_EQ(out[0].events, (uint32_t)EPOLLIN);
  EXPECT_EQ(out[0].data.u64, 0xabcdefu);
  EXPECT_LT(elapsed, 5000 * 1000000LL);
  // Level-triggered: still readable until received.
  EXPECT_EQ(epoll_wait(ep.get(), out, 2, 0), 1);
  char buf[16];
  ASSERT_EQ(mq_receive(q.fd(), buf, sizeof(buf), nullptr), 1);
  EXPECT_EQ(epoll_wait(ep.get(), out, 2, 0), 0);
}

TEST(MqTest, EpollWritableWakesOnReceiveFromThread) {
  ScopedMq q = CreateQueue(1, 16);
  ASSERT_TRUE(q.ok()) << strerror(errno);
  ASSERT_EQ(mq_send(q.fd(), "a", 1, 0), 0);
  ScopedFd ep(epoll_create1(EPOLL_CLOEXEC));
  ASSERT_GE(ep.get(), 0);
  struct epoll_event ev = {};
  ev.events = EPOLLOUT;
  ASSERT_EQ(epoll_ctl(ep.get(), EPOLL_CTL_ADD, q.fd(), &ev), 0);
  struct epoll_event out[2] = {};
  EXPECT_EQ(epoll_wait(ep.get(), out, 2, 0), 0);
  std::thread receiver([&] {
    SleepMs(50);
    MaybeSave();  // the main thread is blocked in epoll_wait
    char buf[16];
    mq_receive(q.fd(), buf, sizeof(buf), nullptr);
  });
  int n = EpollWaitRetryEINTR(ep.get(), out, 2, 10000);
  receiver.join();
  ASSERT_EQ(n, 1);
  EXPECT_EQ(out[0].events, (uint32_t)EPOLLOUT);
}

}  // namespace
}  // namespace mqtest
