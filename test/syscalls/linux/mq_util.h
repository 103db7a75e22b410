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

// POSIX message queues in the syscall tests: unique names, scoped queues and
// descriptors, timed calls for ThreadCall, RLIMIT_MSGQUEUE set-ups and the
// /proc/sys/fs/mqueue files.
#ifndef MQSENTRY_TEST_SYSCALLS_LINUX_MQ_UTIL_H_
#define MQSENTRY_TEST_SYSCALLS_LINUX_MQ_UTIL_H_

#include <errno.h>
#include <fcntl.h>
#include <mqueue.h>
#include <stdint.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/types.h>
#include <time.h>
#include <unistd.h>

#include <atomic>
#include <functional>
#include <string>

#include "caps_util.h"
#include "child_util.h"
#include "gtest/gtest.h"
#include "time_util.h"

namespace mqtest {

// A queue name unique to this process and test: "/mqt_<pid>_<test>_<n>".
inline std::string UniqueQueueName() {
  static std::atomic<int> counter{0};
  std::string test = "notest";
  if (const ::testing::TestInfo* info =
          ::testing::UnitTest::GetInstance()->current_test_info()) {
    test = std::string(info->test_suite_name()) + "." + info->name();
  }
  for (char& c : test) {
    if (c == '/') c = '_';
  }
  if (test.size() > 150) test.resize(150);
  return "/mqt_" + std::to_string(getpid()) + "_" + test + "_" +
         std::to_string(counter++);
}

// A unique queue name that is unlinked, if it exists, when it goes out of
// scope: for queues created by children or by raw syscalls.
class ScopedQueueName : public std::string {
 public:
  ScopedQueueName() : std::string(UniqueQueueName()) {}
  ScopedQueueName(const ScopedQueueName&) = delete;
  ScopedQueueName& operator=(const ScopedQueueName&) = delete;
  ~ScopedQueueName() { mq_unlink(c_str()); }
};

// Owns a queue name (unlinked on destruction) and a descriptor (closed).
class ScopedMq {
 public:
  ScopedMq() = default;
  ScopedMq(std::string name, mqd_t fd) : name_(std::move(name)), fd_(fd) {}
  ScopedMq(const ScopedMq&) = delete;
  ScopedMq& operator=(const ScopedMq&) = delete;
  ScopedMq(ScopedMq&& o) noexcept : name_(std::move(o.name_)), fd_(o.fd_) {
    o.name_.clear();
    o.fd_ = -1;
  }
  ~ScopedMq() { Reset(); }

  const std::string& name() const { return name_; }
  const char* cname() const { return name_.c_str(); }
  mqd_t fd() const { return fd_; }
  bool ok() const { return fd_ >= 0; }

  void CloseFd() {
    if (fd_ >= 0) mq_close(fd_);
    fd_ = -1;
  }
  void Reset() {
    CloseFd();
    if (!name_.empty()) mq_unlink(name_.c_str());
    name_.clear();
  }

 private:
  std::string name_;
  mqd_t fd_ = -1;
};

// Attributes asking for maxmsg messages of up to msgsize bytes.
inline struct mq_attr QueueAttr(long maxmsg, long msgsize) {
  struct mq_attr a = {};
  a.mq_maxmsg = maxmsg;
  a.mq_msgsize = msgsize;
  return a;
}

// Creates a new queue (O_CREAT|O_EXCL) with a unique name. On failure the
// result has fd() == -1 and errno is set.
inline ScopedMq CreateQueue(long maxmsg = 4, long msgsize = 64,
                            int oflag = O_RDWR, mode_t mode = 0600) {
  std::string name = UniqueQueueName();
  mqd_t fd;
  if (maxmsg <= 0) {
    fd = mq_open(name.c_str(), oflag | O_CREAT | O_EXCL, mode, nullptr);
  } else {
    struct mq_attr attr = QueueAttr(maxmsg, msgsize);
    fd = mq_open(name.c_str(), oflag | O_CREAT | O_EXCL, mode, &attr);
  }
  if (fd < 0) {
    int e = errno;
    ScopedMq empty;
    errno = e;
    return empty;
  }
  return ScopedMq(name, fd);
}

// The number of messages in the queue, or -1 if mq_getattr fails.
inline long CurMsgs(mqd_t fd) {
  struct mq_attr a = {};
  if (mq_getattr(fd, &a) != 0) return -1;
  return a.mq_curmsgs;
}

// Receives from fd into buf (len bytes), asserting that the call returns
// want.size(), and expects the message to be want with priority want_prio.
// Use in ASSERT_NO_FATAL_FAILURE.
inline void ExpectReceive(mqd_t fd, char* buf, size_t len, const std::string& want,
                          unsigned want_prio) {
  unsigned prio = ~0u;  // not a valid priority
  ASSERT_EQ(mq_receive(fd, buf, len, &prio), static_cast<ssize_t>(want.size()))
      << strerror(errno);
  EXPECT_EQ(std::string(buf, want.size()), want);
  EXPECT_EQ(prio, want_prio);
}

// fcntl(F_MQ_PEEK) of the March 2026 Linux RFC for CRIU (mqsentry only):
// copies the queued message at index offset (in receive order) to buf,
// without removing it, and returns its length.
constexpr int F_MQ_PEEK = 1024 + 17;
struct mq_peek_attr {
  int32_t offset;
  uint32_t msg_prio;
  size_t buf_len;
  char* buf;
};
static_assert(sizeof(mq_peek_attr) == 24, "RFC layout");

// Calls for ThreadCall (thread_util.h), each with a deadline timeout_ms
// after it starts.
// mq_timedreceive of up to len bytes into buf; returns its result.
inline std::function<long()> TimedReceiveCall(mqd_t fd, char* buf, size_t len,
                                              long timeout_ms,
                                              unsigned* prio = nullptr) {
  return [=] {
    struct timespec deadline = RealtimeIn(timeout_ms);
    return static_cast<long>(mq_timedreceive(fd, buf, len, prio, &deadline));
  };
}

// mq_timedsend of the string msg with priority prio; returns 0 or the errno.
inline std::function<long()> TimedSendCall(mqd_t fd, const char* msg, unsigned prio,
                                           long timeout_ms) {
  return [=] {
    struct timespec deadline = RealtimeIn(timeout_ms);
    return mq_timedsend(fd, msg, strlen(msg), prio, &deadline) == 0 ? 0L : errno;
  };
}

// In a forked child: sets RLIMIT_MSGQUEUE (soft and hard) to bytes.
inline void ChildSetMsgqueueRlimit(rlim_t bytes) {
  struct rlimit rl = {bytes, bytes};
  CHILD_CHECK_OK(setrlimit(RLIMIT_MSGQUEUE, &rl));
}

// A uid of this test's own, so that no other queue is charged to it.
inline uid_t OwnRlimitUid() { return 40000 + getpid() % 20000; }

// In a forked child: becomes uid (see OwnRlimitUid) with RLIMIT_MSGQUEUE at
// 10000 bytes and creates queue name with *attr = 1 message of 6000 bytes, a
// charge that leaves no room for a second such queue. Returns its descriptor.
inline mqd_t ChildCreateRlimitFillingQueue(uid_t uid, const std::string& name,
                                           struct mq_attr* attr) {
  ChildSetMsgqueueRlimit(10000);
  CHILD_CHECK(BecomeUser(uid, uid));
  *attr = QueueAttr(1, 6000);
  mqd_t fd = mq_open(name.c_str(), O_RDWR | O_CREAT | O_EXCL, 0600, attr);
  CHILD_CHECK(fd >= 0);
  return fd;
}

// The path of a /proc/sys/fs/mqueue file.
inline std::string MqSysctl(const char* name) {
  return std::string("/proc/sys/fs/mqueue/") + name;
}

}  // namespace mqtest

#endif  // MQSENTRY_TEST_SYSCALLS_LINUX_MQ_UTIL_H_
