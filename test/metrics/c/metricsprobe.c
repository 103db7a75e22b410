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


// Holds a known set of POSIX and System V queues, messages and blocked
// tasks for test/metrics, which reads them back from `runsc
// export-metrics`. It prints READY once everything is set up but the
// blocking children (test/metrics waits for the blocked gauges), then
// sleeps until killed. The expected totals are in test/metrics/main.go.
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <mqueue.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/msg.h>
#include <unistd.h>

static void die(const char* what) {
  printf("FAIL %s: %s\n", what, strerror(errno));
  exit(1);
}

static mqd_t mq_make(const char* name, long maxmsg) {
  struct mq_attr a = {.mq_maxmsg = maxmsg, .mq_msgsize = 64};
  mqd_t q = mq_open(name, O_CREAT | O_EXCL | O_RDWR, 0600, &a);
  if (q == (mqd_t)-1) die(name);
  return q;
}

static void mq_put(mqd_t q, size_t len) {
  char buf[64];
  memset(buf, 'm', sizeof buf);
  if (mq_send(q, buf, len, 0) != 0) die("mq_send");
}

struct msg {
  long type;
  char text[64];
};

static void msg_put(int id, long type, size_t len) {
  struct msg m = {type, {0}};
  memset(m.text, 's', len);
  if (msgsnd(id, &m, len, IPC_NOWAIT) != 0) die("msgsnd");
}

// child runs f in a child process that blocks there; the parent goes on.
static void child(void (*f)(long), long arg) {
  pid_t p = fork();
  if (p < 0) die("fork");
  if (p == 0) {
    f(arg);
    printf("FAIL a blocked child returned: %s\n", strerror(errno));
    exit(1);
  }
}

static void block_mq_receive(long q) {
  char buf[64];
  mq_receive((mqd_t)q, buf, sizeof buf, NULL);
}
static void block_mq_send(long q) { mq_put((mqd_t)q, 1); }
static void block_msgrcv(long id) {
  struct msg m;
  msgrcv((int)id, &m, sizeof m.text, 0, 0);
}
static void block_msgsnd(long id) {
  struct msg m = {1, {'x'}};
  msgsnd((int)id, &m, 1, 0);
}

int main(void) {
  setvbuf(stdout, NULL, _IONBF, 0);
  char buf[64];

  // POSIX: /m1 holds 10+20+30 bytes after 5 sends and 2 receives; /m2 is
  // named and closed; /m3 is unlinked but open with 5 bytes; /m4 is gone
  // (its message with it); /mr is empty under 2 blocked receivers; /mf
  // (maxmsg 1) is full with 7 bytes under 1 blocked sender.
  mqd_t m1 = mq_make("/m1", 10);
  mq_put(m1, 1);
  mq_put(m1, 2);
  if (mq_receive(m1, buf, sizeof buf, NULL) < 0 || mq_receive(m1, buf, sizeof buf, NULL) < 0) die("mq_receive");
  mq_put(m1, 10);
  mq_put(m1, 20);
  mq_put(m1, 30);
  mq_close(mq_make("/m2", 10));
  mqd_t m3 = mq_make("/m3", 10);
  mq_put(m3, 5);
  if (mq_unlink("/m3") != 0) die("mq_unlink /m3");
  mqd_t m4 = mq_make("/m4", 10);
  mq_put(m4, 9);
  if (mq_unlink("/m4") != 0) die("mq_unlink /m4");
  mq_close(m4);
  mqd_t mr = mq_make("/mr", 10);
  mqd_t mf = mq_make("/mf", 1);
  mq_put(mf, 7);

  // System V: q1 holds 10+20+30 bytes after 4 sends, one msgrcv and one
  // MSG_COPY read; q2 is empty under 2 blocked receivers; q3 is removed
  // with its message; qf (qbytes 16) is full under 1 blocked sender.
  int q1 = msgget(IPC_PRIVATE, 0600), q2 = msgget(IPC_PRIVATE, 0600);
  int q3 = msgget(IPC_PRIVATE, 0600), qf = msgget(IPC_PRIVATE, 0600);
  if (q1 < 0 || q2 < 0 || q3 < 0 || qf < 0) die("msgget");
  msg_put(q1, 1, 10);
  msg_put(q1, 2, 8);
  msg_put(q1, 1, 20);
  msg_put(q1, 1, 30);
  struct msg m;
  if (msgrcv(q1, &m, sizeof m.text, 2, IPC_NOWAIT) != 8) die("msgrcv");
  if (msgrcv(q1, &m, sizeof m.text, 0, IPC_NOWAIT | MSG_COPY) != 10) die("msgrcv MSG_COPY");
  msg_put(q3, 1, 3);
  if (msgctl(q3, IPC_RMID, NULL) != 0) die("IPC_RMID");
  struct msqid_ds ds;
  if (msgctl(qf, IPC_STAT, &ds) != 0) die("IPC_STAT");
  ds.msg_qbytes = 16;
  if (msgctl(qf, IPC_SET, &ds) != 0) die("IPC_SET");
  msg_put(qf, 1, 16);

  child(block_mq_receive, (long)mr);
  child(block_mq_receive, (long)mr);
  child(block_mq_send, (long)mf);
  child(block_msgrcv, q2);
  child(block_msgrcv, q2);
  child(block_msgsnd, qf);
  printf("READY\n");
  for (;;) pause();
  (void)m3;
}
