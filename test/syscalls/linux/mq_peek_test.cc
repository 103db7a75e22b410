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

// fcntl(F_MQ_PEEK), the March 2026 Linux RFC for CRIU: read a queued POSIX
// message by index without removing it. Linux itself does not have it yet,
// so these cases are named MqsentryOnly: the runner expects them to pass
// only under mqsentry's runsc.
#include <errno.h>
#include <fcntl.h>
#include <mqueue.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>

#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "test_util.h"

namespace {

using ::mqtest::F_MQ_PEEK;
using ::mqtest::mq_peek_attr;

class PeekQueue {
 public:
  explicit PeekQueue(long maxmsg = 10, long msgsize = 64, int flags = O_RDWR) {
    name_ = "/mqpeek_" + std::to_string(getpid()) + "_" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name();
    mq_unlink(name_.c_str());
    struct mq_attr a = ::mqtest::QueueAttr(maxmsg, msgsize);
    fd_ = mq_open(name_.c_str(), flags | O_CREAT | O_EXCL, 0600, &a);
  }
  ~PeekQueue() {
    if (fd_ >= 0) mq_close(fd_);
    mq_unlink(name_.c_str());
  }
  mqd_t fd() const { return fd_; }
  const char* name() const { return name_.c_str(); }

 private:
  std::string name_;
  mqd_t fd_ = -1;
};

long Peek(int fd, int32_t offset, char* buf, size_t len, uint32_t* prio) {
  mq_peek_attr a = {offset, 0xdeadbeef, len, buf};
  long n = fcntl(fd, F_MQ_PEEK, &a);
  if (prio) *prio = a.msg_prio;
  return n;
}

long CurMsgs(mqd_t fd) {
  struct mq_attr a;
  EXPECT_EQ(mq_getattr(fd, &a), 0);
  return a.mq_curmsgs;
}

TEST(MqPeekTest, MqsentryOnlyPeekEveryIndexMatchesReceiveOrder) {
  PeekQueue q;
  ASSERT_GE(q.fd(), 0) << strerror(errno);
  // Interleaved priorities: receive order is priority-descending, FIFO within.
  for (int i = 0; i < 10; i++) {
    std::string m = "m" + std::to_string(i);
    ASSERT_EQ(mq_send(q.fd(), m.c_str(), m.size(), (i * 7) % 5), 0);
  }
  mqtest::MaybeSave();
  std::vector<std::pair<std::string, unsigned>> peeked;
  for (int i = 0; i < 10; i++) {
    char buf[64];
    uint32_t prio;
    long n = Peek(q.fd(), i, buf, sizeof(buf), &prio);
    ASSERT_GE(n, 0) << "index " << i << ": " << strerror(errno);
    peeked.emplace_back(std::string(buf, n), prio);
  }
  EXPECT_EQ(CurMsgs(q.fd()), 10);  // Nothing consumed.
  for (int i = 0; i < 10; i++) {
    char buf[64];
    unsigned prio;
    ssize_t n = mq_receive(q.fd(), buf, sizeof(buf), &prio);
    ASSERT_GE(n, 0);
    EXPECT_EQ(std::string(buf, n), peeked[i].first) << "index " << i;
    EXPECT_EQ(prio, peeked[i].second) << "index " << i;
  }
}

TEST(MqPeekTest, MqsentryOnlyTruncatesToBufLen) {
  PeekQueue q;
  ASSERT_GE(q.fd(), 0);
  ASSERT_EQ(mq_send(q.fd(), "abcdefgh", 8, 3), 0);
  mqtest::MaybeSave();
  char buf[4] = {};
  uint32_t prio = 0;
  EXPECT_EQ(Peek(q.fd(), 0, buf, 3, &prio), 3);
  EXPECT_EQ(std::string(buf, 3), "abc");
  EXPECT_EQ(prio, 3u);
  EXPECT_EQ(CurMsgs(q.fd()), 1);
}

TEST(MqPeekTest, MqsentryOnlyENOMSGPastTheEnd) {
  PeekQueue q;
  ASSERT_GE(q.fd(), 0);
  char buf[64];
  EXPECT_ERRNO(Peek(q.fd(), 0, buf, sizeof(buf), nullptr), ENOMSG);
  ASSERT_EQ(mq_send(q.fd(), "x", 1, 0), 0);
  mqtest::MaybeSave();
  EXPECT_ERRNO(Peek(q.fd(), 1, buf, sizeof(buf), nullptr), ENOMSG);
}

TEST(MqPeekTest, MqsentryOnlyEINVAL) {
  PeekQueue q;
  ASSERT_GE(q.fd(), 0);
  ASSERT_EQ(mq_send(q.fd(), "x", 1, 0), 0);
  char buf[64];
  EXPECT_ERRNO(Peek(q.fd(), -1, buf, sizeof(buf), nullptr), EINVAL);
  EXPECT_ERRNO(Peek(q.fd(), 0, buf, 0, nullptr), EINVAL);
  EXPECT_ERRNO(Peek(q.fd(), 0, nullptr, 8, nullptr), EINVAL);
}

TEST(MqPeekTest, MqsentryOnlyEBADF) {
  PeekQueue q;
  ASSERT_GE(q.fd(), 0);
  ASSERT_EQ(mq_send(q.fd(), "x", 1, 0), 0);
  char buf[64];
  int p[2];
  ASSERT_EQ(pipe(p), 0);
  EXPECT_ERRNO(Peek(p[0], 0, buf, sizeof(buf), nullptr), EBADF);
  close(p[0]);
  close(p[1]);
  mqd_t wo = mq_open(q.name(), O_WRONLY);
  ASSERT_GE(wo, 0);
  EXPECT_ERRNO(Peek(wo, 0, buf, sizeof(buf), nullptr), EBADF);
  mq_close(wo);
}

TEST(MqPeekTest, MqsentryOnlyEFAULT) {
  PeekQueue q;
  ASSERT_GE(q.fd(), 0);
  ASSERT_EQ(mq_send(q.fd(), "x", 1, 0), 0);
  EXPECT_ERRNO(fcntl(q.fd(), F_MQ_PEEK, reinterpret_cast<void*>(1)), EFAULT);
  EXPECT_ERRNO(Peek(q.fd(), 0, reinterpret_cast<char*>(1), 8, nullptr), EFAULT);
  EXPECT_EQ(CurMsgs(q.fd()), 1);
}

// Other fcntl commands on a queue descriptor behave as before (natively too).
TEST(MqPeekTest, OtherFcntlCommandsUnchanged) {
  PeekQueue q;
  ASSERT_GE(q.fd(), 0);
  EXPECT_EQ(fcntl(q.fd(), F_GETFD), FD_CLOEXEC);
  int fl = fcntl(q.fd(), F_GETFL);
  ASSERT_GE(fl, 0);
  EXPECT_EQ(fl & O_ACCMODE, O_RDWR);
  ASSERT_EQ(fcntl(q.fd(), F_SETFL, fl | O_NONBLOCK), 0);
  struct mq_attr a;
  ASSERT_EQ(mq_getattr(q.fd(), &a), 0);
  mqtest::MaybeSave();
  ASSERT_EQ(mq_getattr(q.fd(), &a), 0);
  EXPECT_EQ(a.mq_flags, O_NONBLOCK);
  EXPECT_EQ(fcntl(q.fd(), F_GETFL) & O_NONBLOCK, O_NONBLOCK);
}

}  // namespace
