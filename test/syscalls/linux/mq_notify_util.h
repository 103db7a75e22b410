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

// mq_notify helpers shared by mq_notify_test.cc and mq_save_test.cc: a
// SA_SIGINFO handler that records the notification signals it gets, the
// sigevents to register, and registrations made by other processes.
#ifndef MQSENTRY_TEST_SYSCALLS_LINUX_MQ_NOTIFY_UTIL_H_
#define MQSENTRY_TEST_SYSCALLS_LINUX_MQ_NOTIFY_UTIL_H_

#include <errno.h>
#include <mqueue.h>
#include <pthread.h>
#include <signal.h>
#include <unistd.h>

#include <atomic>

#include "test_util.h"

namespace mqtest {

constexpr int kNotifySig = SIGUSR1;

// What NotifyHandler saw last, and how many signals it got.
inline std::atomic<int> g_count{0};
inline std::atomic<int> g_signo{0};
inline std::atomic<int> g_code{0};
inline std::atomic<pid_t> g_pid{0};
inline std::atomic<uid_t> g_uid{0};
inline std::atomic<void*> g_value{nullptr};

inline void NotifyHandler(int sig, siginfo_t* info, void*) {
  g_signo = sig;
  g_code = info->si_code;
  g_pid = info->si_pid;
  g_uid = info->si_uid;
  g_value = info->si_value.sival_ptr;
  g_count++;
}

// Installs NotifyHandler for kNotifySig with SA_SIGINFO | flags; the previous
// action goes to *old unless it is null.
inline bool InstallNotifyHandler(int flags, struct sigaction* old = nullptr) {
  struct sigaction sa = {};
  sa.sa_sigaction = NotifyHandler;
  sa.sa_flags = SA_SIGINFO | flags;
  sigemptyset(&sa.sa_mask);
  return sigaction(kNotifySig, &sa, old) == 0;
}

// Installs NotifyHandler for kNotifySig (SA_SIGINFO | SA_RESTART), with the
// signal unblocked in this thread, for the object's life.
class NotifyHandlerScope {
 public:
  NotifyHandlerScope() {
    ok_ = InstallNotifyHandler(SA_RESTART, &old_);
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, kNotifySig);
    pthread_sigmask(SIG_UNBLOCK, &set, &oldmask_);
  }
  ~NotifyHandlerScope() {
    if (ok_) sigaction(kNotifySig, &old_, nullptr);
    pthread_sigmask(SIG_SETMASK, &oldmask_, nullptr);
  }
  NotifyHandlerScope(const NotifyHandlerScope&) = delete;
  NotifyHandlerScope& operator=(const NotifyHandlerScope&) = delete;
  bool ok() const { return ok_; }

 private:
  bool ok_;
  struct sigaction old_;
  sigset_t oldmask_;
};

inline struct sigevent SignalEvent(int sig = kNotifySig, void* value = nullptr) {
  struct sigevent sev = {};
  sev.sigev_notify = SIGEV_SIGNAL;
  sev.sigev_signo = sig;
  sev.sigev_value.sival_ptr = value;
  return sev;
}

inline struct sigevent NoneEvent() {
  struct sigevent sev = {};
  sev.sigev_notify = SIGEV_NONE;
  return sev;
}

// Waits for the notification count to pass `before`.
inline bool WaitNotified(int before, long timeout_ms = 5000) {
  return WaitFor([&] { return g_count.load() > before; }, timeout_ms);
}

// True if no notification arrives within ms.
inline bool NoNotificationWithin(int before, long ms = 100) {
  SleepMs(ms);
  return g_count.load() == before;
}

// mq_notify(SIGEV_NONE) from a forked child (another process): returns the
// child's result, 0 or the errno.
inline int NotifyFromOtherProcess(mqd_t fd) {
  int p[2];
  if (pipe(p) != 0) return -1;
  int status = RunInChild([&] {
    struct sigevent sev = NoneEvent();
    int r = mq_notify(fd, &sev) == 0 ? 0 : errno;
    (void)!write(p[1], &r, sizeof(r));
  });
  int r = -1;
  if (!ChildOK(status) || read(p[0], &r, sizeof(r)) != sizeof(r)) r = -1;
  close(p[0]);
  close(p[1]);
  return r;
}

// A new queue (CreateQueue(maxmsg, 16)) for which this process registered
// sev; if either step fails the result is not ok() and errno says why.
inline ScopedMq CreateRegisteredQueue(long maxmsg, struct sigevent sev) {
  ScopedMq q = CreateQueue(maxmsg, 16);
  if (q.ok() && mq_notify(q.fd(), &sev) != 0) {
    int e = errno;
    q.Reset();
    errno = e;
  }
  return q;
}

// The body of the cases where a registration sends no signal: with
// NotifyHandler installed, registers sev for a new queue; after a MaybeSave()
// another process still gets EBUSY, and a message into the queue sends no
// signal within quiet_ms but ends the registration.
inline void ExpectSilentRegistration(struct sigevent sev, long quiet_ms) {
  NotifyHandlerScope h;
  ASSERT_TRUE(h.ok());
  ScopedMq q = CreateRegisteredQueue(2, sev);
  ASSERT_TRUE(q.ok()) << strerror(errno);
  MaybeSave();
  EXPECT_EQ(NotifyFromOtherProcess(q.fd()), EBUSY);
  int before = g_count.load();
  ASSERT_EQ(mq_send(q.fd(), "a", 1, 0), 0);
  EXPECT_TRUE(NoNotificationWithin(before, quiet_ms));
  EXPECT_EQ(NotifyFromOtherProcess(q.fd()), 0);
}

// Forks a child that installs NotifyHandler (without SA_RESTART), registers
// for kNotifySig with value on fd and waits up to timeout_ms for the signal.
// The child exits 0 if the signal came with SI_MESGQ from sender and with
// value, and, if once, no second one followed within 100 ms; else non-zero.
// Returns the child's pid once the child has tried to register, with
// *registered 'y' if mq_notify succeeded ('n' if it failed, 0 if the child
// did not say); -1 if pipe or fork failed.
inline pid_t ForkSignalRegistrant(mqd_t fd, void* value, pid_t sender,
                                  long timeout_ms, bool once,
                                  char* registered) {
  *registered = 0;
  int ready[2];
  if (pipe(ready) != 0) return -1;
  fflush(nullptr);
  pid_t child = fork();
  if (child == 0) {
    if (!InstallNotifyHandler(0)) _exit(2);
    int before = g_count.load();
    struct sigevent sev = SignalEvent(kNotifySig, value);
    char c = mq_notify(fd, &sev) == 0 ? 'y' : 'n';
    (void)!write(ready[1], &c, 1);
    if (!WaitNotified(before, timeout_ms)) _exit(3);
    if (g_code.load() != SI_MESGQ || g_pid.load() != sender) _exit(4);
    if (g_value.load() != value) _exit(5);
    if (once && !NoNotificationWithin(before + 1)) _exit(6);
    _exit(0);
  }
  close(ready[1]);
  if (child > 0 && read(ready[0], registered, 1) != 1) *registered = 0;
  close(ready[0]);
  return child;
}

}  // namespace mqtest

#endif  // MQSENTRY_TEST_SYSCALLS_LINUX_MQ_NOTIFY_UTIL_H_
