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

// mq_notify: SIGEV_SIGNAL, SIGEV_NONE, SIGEV_THREAD (glibc and the raw
// netlink protocol), registration rules and errors. Linux 6.18 is the
// reference.
#include <errno.h>
#include <fcntl.h>
#include <linux/netlink.h>
#include <mqueue.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <atomic>
#include <string>
#include <thread>

#include "gtest/gtest.h"
#include "mq_notify_util.h"
#include "test_util.h"

namespace mqtest {
namespace {

// sev is refused with EINVAL before the descriptor is looked at: for fd and
// for the bad descriptor -1.
void ExpectInvalidSigevent(mqd_t fd, const struct sigevent& sev) {
  EXPECT_ERRNO(mq_notify(fd, &sev), EINVAL);
  EXPECT_ERRNO(mq_notify(-1, &sev), EINVAL);
}

void DrainQueue(mqd_t fd) {
  char buf[8192];
  struct mq_attr a = {};
  mq_getattr(fd, &a);
  for (long i = 0; i < a.mq_curmsgs; i++) mq_receive(fd, buf, sizeof(buf), nullptr);
}

// ---------------------------------------------------------------------------

// The signal carries SI_MESGQ, the sender's pid and real uid, and the
// registered value. The sender is another process running as another user.
TEST(MqNotifyTest, SignalInfoFromSenderProcess) {
  NotifyHandlerScope h;
  ASSERT_TRUE(h.ok());
  mode_t old = umask(0);
  ScopedMq q = CreateQueue(2, 16, O_RDWR, 0666);
  umask(old);
  ASSERT_TRUE(q.ok()) << strerror(errno);
  void* value = reinterpret_cast<void*>(0x12345678abcdefULL);
  struct sigevent sev = SignalEvent(kNotifySig, value);
  ASSERT_EQ(mq_notify(q.fd(), &sev), 0) << strerror(errno);
  MaybeSave();

  int before = g_count.load();
  std::string name = q.name();
  fflush(nullptr);
  pid_t child = fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    if (!BecomeUser(kNobody, kNogroup)) _exit(2);
    MaybeSave();
    mqd_t fd = mq_open(name.c_str(), O_WRONLY);
    if (fd < 0) _exit(3);
    if (mq_send(fd, "hi", 2, 0) != 0) _exit(4);
    _exit(0);
  }
  int status;
  while (waitpid(child, &status, 0) < 0 && errno == EINTR) {
  }
  ASSERT_TRUE(ChildOK(status)) << DescribeStatus(status);
  ASSERT_TRUE(WaitNotified(before)) << "no notification signal";
  EXPECT_EQ(g_count.load(), before + 1);
  EXPECT_EQ(g_signo.load(), kNotifySig);
  EXPECT_EQ(g_code.load(), SI_MESGQ);
  EXPECT_EQ(g_pid.load(), child);
  EXPECT_EQ(g_uid.load(), kNobody);
  EXPECT_EQ(g_value.load(), value);
}

// si_pid is the sending thread's thread-group id, si_uid its real uid.
TEST(MqNotifyTest, SignalInfoFromSenderThread) {
  NotifyHandlerScope h;
  ASSERT_TRUE(h.ok());
  ScopedMq q = CreateRegisteredQueue(2, SignalEvent(kNotifySig, reinterpret_cast<void*>(42)));
  ASSERT_TRUE(q.ok()) << strerror(errno);
  MaybeSave();
  int before = g_count.load();
  std::thread t([&] { mq_send(q.fd(), "x", 1, 0); });
  t.join();
  ASSERT_TRUE(WaitNotified(before));
  EXPECT_EQ(g_code.load(), SI_MESGQ);
  EXPECT_EQ(g_pid.load(), getpid());
  EXPECT_EQ(g_uid.load(), getuid());
  EXPECT_EQ(g_value.load(), reinterpret_cast<void*>(42));
}

// Only a message arriving in an empty queue notifies.
TEST(MqNotifyTest, FiresOnlyOnEmptyToNonEmpty) {
  NotifyHandlerScope h;
  ASSERT_TRUE(h.ok());
  ScopedMq q = CreateQueue(4, 16);
  ASSERT_TRUE(q.ok()) << strerror(errno);
  ASSERT_EQ(mq_send(q.fd(), "a", 1, 0), 0);
  struct sigevent sev = SignalEvent();
  ASSERT_EQ(mq_notify(q.fd(), &sev), 0) << strerror(errno);
  int before = g_count.load();
  ASSERT_EQ(mq_send(q.fd(), "b", 1, 5), 0);
  EXPECT_TRUE(NoNotificationWithin(before));
  MaybeSave();
  // Still registered: another process is refused.
  EXPECT_EQ(NotifyFromOtherProcess(q.fd()), EBUSY);
  DrainQueue(q.fd());
  MaybeSave();  // registered, queue empty
  ASSERT_EQ(mq_send(q.fd(), "c", 1, 0), 0);
  EXPECT_TRUE(WaitNotified(before));
  EXPECT_TRUE(NoNotificationWithin(before + 1, 50));
}

// After firing the registration is gone: the next message into an empty
// queue doesn't notify, and anybody may register again.
TEST(MqNotifyTest, RegistrationRemovedAfterFiring) {
  NotifyHandlerScope h;
  ASSERT_TRUE(h.ok());
  struct sigevent sev = SignalEvent();
  ScopedMq q = CreateRegisteredQueue(4, sev);
  ASSERT_TRUE(q.ok()) << strerror(errno);
  int before = g_count.load();
  ASSERT_EQ(mq_send(q.fd(), "a", 1, 0), 0);
  ASSERT_TRUE(WaitNotified(before));
  MaybeSave();
  DrainQueue(q.fd());
  ASSERT_EQ(mq_send(q.fd(), "b", 1, 0), 0);
  EXPECT_TRUE(NoNotificationWithin(before + 1));
  // Free to register again.
  EXPECT_EQ(mq_notify(q.fd(), &sev), 0) << strerror(errno);
  EXPECT_EQ(mq_notify(q.fd(), nullptr), 0);
  EXPECT_EQ(NotifyFromOtherProcess(q.fd()), 0);
}

// A process's registration ends when it exits (its descriptors are closed).
TEST(MqNotifyTest, RemovedWhenRegistrantExits) {
  ScopedMq q = CreateQueue(2, 16);
  ASSERT_TRUE(q.ok()) << strerror(errno);
  mqd_t fd = q.fd();
  EXPECT_CHILD_OK([&] {
    struct sigevent sev = SignalEvent();
    CHILD_CHECK_OK(mq_notify(fd, &sev));
    MaybeSave();  // the restored child's exit must still remove it
  });
  struct sigevent sev = NoneEvent();
  EXPECT_EQ(mq_notify(fd, &sev), 0) << strerror(errno);
}

// Registering while another process is registered is EBUSY; the
// registration ends when that process exits (its descriptors are closed).
TEST(MqNotifyTest, EBUSYWhenAnotherProcessRegistered) {
  ScopedMq q = CreateQueue(2, 16);
  ASSERT_TRUE(q.ok()) << strerror(errno);
  mqd_t fd = q.fd();
  int ready[2], go[2];
  pid_t child = ForkWithHandshake(ready, go);
  ASSERT_GE(child, 0);
  if (child == 0) {
    struct sigevent sev = SignalEvent();
    char c = mq_notify(fd, &sev) == 0 ? 'y' : 'n';
    (void)!write(ready[1], &c, 1);
    (void)!read(go[0], &c, 1);
    _exit(0);
  }
  char c = 0;
  ASSERT_EQ(read(ready[0], &c, 1), 1);
  ASSERT_EQ(c, 'y');
  MaybeSave();  // the child's registration is kept
  struct sigevent sev = SignalEvent();
  EXPECT_ERRNO(mq_notify(fd, &sev), EBUSY);
  struct sigevent none = NoneEvent();
  EXPECT_ERRNO(mq_notify(fd, &none), EBUSY);
  ASSERT_EQ(write(go[1], "g", 1), 1);
  ASSERT_WAIT_CHILD_OK(child);
  EXPECT_EQ(mq_notify(fd, &none), 0) << strerror(errno);
  for (int f : {ready[0], ready[1], go[0], go[1]}) close(f);
}

// The registrant itself can't register twice either.
TEST(MqNotifyTest, EBUSYWhenAlreadyRegisteredBySelf) {
  struct sigevent sev = SignalEvent();
  ScopedMq q = CreateRegisteredQueue(2, sev);
  ASSERT_TRUE(q.ok()) << strerror(errno);
  MaybeSave();
  EXPECT_ERRNO(mq_notify(q.fd(), &sev), EBUSY);
}

TEST(MqNotifyTest, UnregisterByRegistrant) {
  NotifyHandlerScope h;
  ASSERT_TRUE(h.ok());
  ScopedMq q = CreateRegisteredQueue(2, SignalEvent());
  ASSERT_TRUE(q.ok()) << strerror(errno);
  EXPECT_EQ(mq_notify(q.fd(), nullptr), 0) << strerror(errno);
  MaybeSave();
  int before = g_count.load();
  ASSERT_EQ(mq_send(q.fd(), "a", 1, 0), 0);
  EXPECT_TRUE(NoNotificationWithin(before));
  EXPECT_EQ(NotifyFromOtherProcess(q.fd()), 0);
  // Unregistering when nobody is registered is fine too.
  EXPECT_EQ(mq_notify(q.fd(), nullptr), 0);
}

// mq_notify(NULL) from a process that is not the registrant returns 0 and
// leaves the registration in place: the registrant still gets its signal.
TEST(MqNotifyTest, UnregisterByNonRegistrantIsNoop) {
  ScopedMq q = CreateQueue(2, 16);
  ASSERT_TRUE(q.ok()) << strerror(errno);
  mqd_t fd = q.fd();
  char c = 0;
  pid_t child = ForkSignalRegistrant(fd, reinterpret_cast<void*>(7), getpid(),
                                     10000, false, &c);
  ASSERT_GE(child, 0);
  ASSERT_EQ(c, 'y');
  EXPECT_EQ(mq_notify(fd, nullptr), 0) << strerror(errno);
  MaybeSave();  // the child waits for its signal
  struct sigevent sev = SignalEvent();
  EXPECT_ERRNO(mq_notify(fd, &sev), EBUSY);
  ASSERT_EQ(mq_send(fd, "a", 1, 0), 0);
  ASSERT_WAIT_CHILD_OK(child);
}

// A bad sigev_notify is EINVAL, checked before the descriptor.
TEST(MqNotifyTest, InvalidSigevNotifyBeforeEBADF) {
  ScopedMq q = CreateQueue(2, 16);
  ASSERT_TRUE(q.ok()) << strerror(errno);
  for (int how : {3, (int)SIGEV_THREAD_ID, 99, -1}) {
    SCOPED_TRACE(how);
    struct sigevent sev = SignalEvent();
    sev.sigev_notify = how;
    ExpectInvalidSigevent(q.fd(), sev);
  }
  EXPECT_EQ(NotifyFromOtherProcess(q.fd()), 0);  // nothing was registered
}

// A bad signal number (for SIGEV_SIGNAL) is EINVAL, before the descriptor;
// every number up to _NSIG (64) is accepted.
TEST(MqNotifyTest, InvalidSignalBeforeEBADF) {
  ScopedMq q = CreateQueue(2, 16);
  ASSERT_TRUE(q.ok()) << strerror(errno);
  for (int sig : {65, 1000, -1}) {
    SCOPED_TRACE(sig);
    ExpectInvalidSigevent(q.fd(), SignalEvent(sig));
  }
  struct sigevent sev = SignalEvent(64);
  EXPECT_EQ(mq_notify(q.fd(), &sev), 0) << strerror(errno);
  MaybeSave();
  EXPECT_EQ(mq_notify(q.fd(), nullptr), 0);
  // The signal number isn't looked at for SIGEV_NONE.
  sev = NoneEvent();
  sev.sigev_signo = 1000;
  EXPECT_EQ(mq_notify(q.fd(), &sev), 0) << strerror(errno);
}

TEST(MqNotifyTest, BadDescriptorEBADF) {
  int p[2];
  ASSERT_EQ(pipe(p), 0);
  ScopedFd r(p[0]), w(p[1]);
  struct sigevent sev = SignalEvent();
  for (int fd : {-1, 100000, r.get()}) {
    errno = 0;
    EXPECT_EQ(mq_notify(fd, &sev), -1) << fd;
    EXPECT_EQ(errno, EBADF) << fd;
    errno = 0;
    EXPECT_EQ(mq_notify(fd, nullptr), -1) << fd;
    EXPECT_EQ(errno, EBADF) << fd;
  }
  EXPECT_ERRNO(syscall(SYS_mq_notify, -1, reinterpret_cast<void*>(1)), EFAULT);
}

// Closing any descriptor of the queue in the registered process removes the
// registration; then another process can register.
TEST(MqNotifyTest, RemovedWhenRegistrantClosesADescriptor) {
  NotifyHandlerScope h;
  ASSERT_TRUE(h.ok());
  ScopedMq q = CreateQueue(2, 16);
  ASSERT_TRUE(q.ok()) << strerror(errno);
  mqd_t second = mq_open(q.cname(), O_RDONLY);
  ASSERT_GE(second, 0);
  struct sigevent sev = SignalEvent();
  ASSERT_EQ(mq_notify(q.fd(), &sev), 0);
  MaybeSave();
  EXPECT_EQ(NotifyFromOtherProcess(q.fd()), EBUSY);
  ASSERT_EQ(mq_close(second), 0);
  EXPECT_EQ(NotifyFromOtherProcess(q.fd()), 0);
  int before = g_count.load();
  ASSERT_EQ(mq_send(q.fd(), "a", 1, 0), 0);
  EXPECT_TRUE(NoNotificationWithin(before));
}

// Closing a dup of the registering descriptor also removes it, while
// closing a descriptor of another queue, or a close by another process,
// does not.
TEST(MqNotifyTest, CloseRulesForRemoval) {
  ScopedMq q = CreateQueue(2, 16);
  ScopedMq other = CreateQueue(2, 16);
  ASSERT_TRUE(q.ok() && other.ok()) << strerror(errno);
  struct sigevent sev = NoneEvent();
  ASSERT_EQ(mq_notify(q.fd(), &sev), 0);
  other.CloseFd();
  mqd_t fd = q.fd();
  EXPECT_CHILD_OK([&] { CHILD_CHECK_OK(mq_close(fd)); });
  MaybeSave();
  EXPECT_EQ(NotifyFromOtherProcess(q.fd()), EBUSY);
  int d = dup(q.fd());
  ASSERT_GE(d, 0);
  ASSERT_EQ(close(d), 0);
  EXPECT_EQ(NotifyFromOtherProcess(q.fd()), 0);
}

// A receiver blocked in mq_receive gets the message directly: no
// notification, and the registration stays for a later message.
TEST(MqNotifyTest, NoNotificationWhileReceiverBlocked) {
  NotifyHandlerScope h;
  ASSERT_TRUE(h.ok());
  ScopedMq q = CreateRegisteredQueue(2, SignalEvent());
  ASSERT_TRUE(q.ok()) << strerror(errno);

  // Keep the notification signal away from the receiver thread, so that it
  // can't interrupt its receive.
  std::atomic<pid_t> tid{0};
  std::atomic<ssize_t> got{0};
  char buf[16] = {};
  std::thread receiver([&] {
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, kNotifySig);
    pthread_sigmask(SIG_BLOCK, &set, nullptr);
    tid = GetTid();
    struct timespec deadline = RealtimeIn(10000);
    got = mq_timedreceive(q.fd(), buf, sizeof(buf), nullptr, &deadline);
  });
  ASSERT_TRUE(WaitTidBlocked(tid));
  MaybeSave();  // registered, with a receiver blocked
  // A restored task re-enters its interrupted call only when it runs again:
  // wait until the receiver is blocked once more.
  ASSERT_TRUE(WaitThreadBlocked(tid.load()));
  int before = g_count.load();
  ASSERT_EQ(mq_send(q.fd(), "direct", 6, 0), 0);
  receiver.join();
  EXPECT_EQ(got.load(), 6);
  EXPECT_EQ(std::string(buf, 6), "direct");
  EXPECT_TRUE(NoNotificationWithin(before));
  EXPECT_EQ(NotifyFromOtherProcess(q.fd()), EBUSY);  // still registered
  ASSERT_EQ(mq_send(q.fd(), "later", 5, 0), 0);
  EXPECT_TRUE(WaitNotified(before));
}

// SIGEV_NONE registers (others get EBUSY) but sends nothing; the
// registration is removed when a message arrives in the empty queue.
TEST(MqNotifyTest, SigevNoneRegistersWithoutSignal) {
  ExpectSilentRegistration(NoneEvent(), 100);
}

// Linux accepts signal number 0 for SIGEV_SIGNAL: it registers, sends no
// signal, and the registration is consumed by the next message.
TEST(MqNotifyTest, SignalZeroRegistersWithoutSignal) {
  ExpectSilentRegistration(SignalEvent(0), 100);
}

std::atomic<int> g_thread_calls{0};
std::atomic<long> g_thread_value{0};
std::atomic<pid_t> g_thread_tid{0};

void ThreadNotifyFunction(union sigval v) {
  g_thread_value = reinterpret_cast<long>(v.sival_ptr);
  g_thread_tid = GetTid();
  g_thread_calls++;
}

// glibc's SIGEV_THREAD: the function runs in another thread with the value.
TEST(MqNotifyTest, SigevThreadViaGlibc) {
  ScopedMq q = CreateQueue(2, 16);
  ASSERT_TRUE(q.ok()) << strerror(errno);
  struct sigevent sev = {};
  sev.sigev_notify = SIGEV_THREAD;
  sev.sigev_notify_function = ThreadNotifyFunction;
  sev.sigev_notify_attributes = nullptr;
  sev.sigev_value.sival_ptr = reinterpret_cast<void*>(0x5eed);
  ASSERT_EQ(mq_notify(q.fd(), &sev), 0) << strerror(errno);
  MaybeSave();  // glibc's helper thread waits on its netlink socket
  EXPECT_EQ(NotifyFromOtherProcess(q.fd()), EBUSY);
  int before = g_thread_calls.load();
  ASSERT_EQ(mq_send(q.fd(), "t", 1, 0), 0);
  ASSERT_TRUE(WaitFor([&] { return g_thread_calls.load() > before; }))
      << "notify function was not called";
  EXPECT_EQ(g_thread_value.load(), 0x5eed);
  EXPECT_NE(g_thread_tid.load(), GetTid());
  EXPECT_NE(g_thread_tid.load(), 0);
  // One-shot: a second message into an empty queue calls nothing.
  DrainQueue(q.fd());
  ASSERT_EQ(mq_send(q.fd(), "u", 1, 0), 0);
  SleepMs(100);
  EXPECT_EQ(g_thread_calls.load(), before + 1);
}

constexpr size_t kCookieLen = 32;
constexpr char kNotifyWokenUp = 1;
constexpr char kNotifyRemoved = 2;

// Receives one cookie from the netlink socket (waiting up to 5 s).
ssize_t RecvCookie(int sock, char* buf, size_t len) {
  struct pollfd p = {sock, POLLIN, 0};
  if (poll(&p, 1, 5000) != 1) return -2;
  return recv(sock, buf, len, MSG_DONTWAIT);
}

// The kernel side of SIGEV_THREAD: sigev_signo is a netlink socket and
// sival_ptr a 32-byte cookie; the kernel sends the cookie with its last byte
// set to NOTIFY_WOKENUP (1) on a message, NOTIFY_REMOVED (2) on removal.
TEST(MqNotifyTest, SigevThreadNetlinkCookie) {
  ScopedMq q = CreateQueue(2, 16);
  ASSERT_TRUE(q.ok()) << strerror(errno);
  ScopedFd sock(socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE));
  ASSERT_GE(sock.get(), 0) << strerror(errno);
  char cookie[kCookieLen];
  for (size_t i = 0; i < kCookieLen; i++) cookie[i] = static_cast<char>(0x40 + i);
  struct sigevent sev = {};
  sev.sigev_notify = SIGEV_THREAD;
  sev.sigev_signo = sock.get();
  sev.sigev_value.sival_ptr = cookie;
  ASSERT_EQ(syscall(SYS_mq_notify, q.fd(), &sev), 0) << strerror(errno);
  MaybeSave();
  EXPECT_EQ(NotifyFromOtherProcess(q.fd()), EBUSY);

  ASSERT_EQ(mq_send(q.fd(), "a", 1, 0), 0);
  char buf[64] = {};
  ASSERT_EQ(RecvCookie(sock.get(), buf, sizeof(buf)), (ssize_t)kCookieLen);
  EXPECT_EQ(memcmp(buf, cookie, kCookieLen - 1), 0);
  EXPECT_EQ(buf[kCookieLen - 1], kNotifyWokenUp);
  EXPECT_EQ(NotifyFromOtherProcess(q.fd()), 0);  // one-shot

  // Unregistering sends the cookie with NOTIFY_REMOVED.
  ASSERT_EQ(syscall(SYS_mq_notify, q.fd(), &sev), 0) << strerror(errno);
  MaybeSave();
  ASSERT_EQ(mq_notify(q.fd(), nullptr), 0);
  memset(buf, 0, sizeof(buf));
  ASSERT_EQ(RecvCookie(sock.get(), buf, sizeof(buf)), (ssize_t)kCookieLen);
  EXPECT_EQ(memcmp(buf, cookie, kCookieLen - 1), 0);
  EXPECT_EQ(buf[kCookieLen - 1], kNotifyRemoved);

  // So does closing a descriptor of the queue.
  ASSERT_EQ(syscall(SYS_mq_notify, q.fd(), &sev), 0) << strerror(errno);
  int d = dup(q.fd());
  ASSERT_GE(d, 0);
  close(d);
  memset(buf, 0, sizeof(buf));
  ASSERT_EQ(RecvCookie(sock.get(), buf, sizeof(buf)), (ssize_t)kCookieLen);
  EXPECT_EQ(buf[kCookieLen - 1], kNotifyRemoved);
}

// Errors of the raw SIGEV_THREAD registration, all before the queue
// descriptor is looked at.
TEST(MqNotifyTest, SigevThreadRawErrors) {
  ScopedMq q = CreateQueue(2, 16);
  ASSERT_TRUE(q.ok()) << strerror(errno);
  char cookie[kCookieLen] = {};
  struct sigevent sev = {};
  sev.sigev_notify = SIGEV_THREAD;
  sev.sigev_value.sival_ptr = cookie;

  sev.sigev_signo = -1;
  EXPECT_ERRNO(syscall(SYS_mq_notify, q.fd(), &sev), EBADF);

  int p[2];
  ASSERT_EQ(pipe(p), 0);
  ScopedFd r(p[0]), w(p[1]);
  sev.sigev_signo = r.get();
  EXPECT_ERRNO(syscall(SYS_mq_notify, -1, &sev), ENOTSOCK);

  ScopedFd unix_sock(socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0));
  ASSERT_GE(unix_sock.get(), 0);
  sev.sigev_signo = unix_sock.get();
  EXPECT_ERRNO(syscall(SYS_mq_notify, q.fd(), &sev), EINVAL);

  ScopedFd nl(socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE));
  ASSERT_GE(nl.get(), 0);
  sev.sigev_signo = nl.get();
  sev.sigev_value.sival_ptr = reinterpret_cast<void*>(1);
  EXPECT_ERRNO(syscall(SYS_mq_notify, q.fd(), &sev), EFAULT);

  sev.sigev_value.sival_ptr = cookie;
  EXPECT_ERRNO(syscall(SYS_mq_notify, -1, &sev), EBADF);
  EXPECT_EQ(NotifyFromOtherProcess(q.fd()), 0);  // nothing registered
}

}  // namespace
}  // namespace mqtest
