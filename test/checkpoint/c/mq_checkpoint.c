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

// Fills POSIX message queues, waits to be checkpointed and restored, then
// drains them and checks that every message came back in the same order with
// the same priority, size and payload, and that the attributes survived.
// One queue keeps an open descriptor; the other is held only by its name.
// Protocol: prints "READY" once filled, drains on SIGUSR1, prints "OK" and
// exits 0 on success. Arguments: the fs.mqueue.msg_max and kernel.msgmnb the
// OCI spec set; after the restore the namespace must still have them, and
// the spec's /dev/mqueue mount must still show the queue.
#include <errno.h>
#include <fcntl.h>
#include <mqueue.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define MSGS 200
#define MSGSIZE 512

static volatile sig_atomic_t go;
static void on_usr1(int sig) { (void)sig; go = 1; }

static void die(const char *what) {
  printf("FAIL %s: %s\n", what, strerror(errno));
  fflush(stdout);
  exit(1);
}

// Message i of queue q: priority, length and payload are derived from (q, i)
// so the drain can recompute what it must see.
static unsigned prio_of(int q, int i) { return (unsigned)((i * 7 + q) % 5) * 1000 + (unsigned)q; }
static size_t len_of(int q, int i) { return (size_t)((i * 37 + q * 11) % MSGSIZE); }
static void fill(int q, int i, char *buf) {
  for (size_t k = 0; k < len_of(q, i); k++) buf[k] = (char)(q * 31 + i * 17 + (int)k);
}

static void send_all(mqd_t fd, int q) {
  char buf[MSGSIZE];
  for (int i = 0; i < MSGS; i++) {
    fill(q, i, buf);
    if (mq_send(fd, buf, len_of(q, i), prio_of(q, i)) != 0) die("mq_send");
  }
}

// Receive order: priority descending, send order within a priority.
static void check_drain(mqd_t fd, int q) {
  struct mq_attr a;
  if (mq_getattr(fd, &a) != 0) die("mq_getattr");
  if (a.mq_maxmsg != MSGS || a.mq_msgsize != MSGSIZE || a.mq_curmsgs != MSGS) {
    printf("FAIL queue %d attributes %ld/%ld/%ld\n", q, a.mq_maxmsg, a.mq_msgsize, a.mq_curmsgs);
    exit(1);
  }
  int done[MSGS] = {0};
  char want[MSGSIZE], got[MSGSIZE];
  for (int n = 0; n < MSGS; n++) {
    int next = -1;
    for (int i = 0; i < MSGS; i++)
      if (!done[i] && (next < 0 || prio_of(q, i) > prio_of(q, next))) next = i;
    done[next] = 1;
    unsigned prio;
    ssize_t len = mq_receive(fd, got, sizeof(got), &prio);
    if (len < 0) die("mq_receive");
    fill(q, next, want);
    if (prio != prio_of(q, next) || (size_t)len != len_of(q, next) || memcmp(got, want, (size_t)len) != 0) {
      printf("FAIL queue %d message %d: prio %u len %zd, want message %d prio %u len %zu\n", q, n, prio,
             len, next, prio_of(q, next), len_of(q, next));
      exit(1);
    }
  }
}

// Checks that /proc/sys/NAME holds want.
static void check_sysctl(const char *name, const char *want) {
  char path[128], got[32] = "";
  snprintf(path, sizeof path, "/proc/sys/%s", name);
  FILE *f = fopen(path, "r");
  if (f == NULL) die(path);
  if (fscanf(f, "%31s", got) != 1 || strcmp(got, want) != 0) {
    printf("FAIL %s = %s after the restore, want %s (the spec's)\n", name, got, want);
    exit(1);
  }
  fclose(f);
}

// Checks that the /dev/mqueue mount shows the queue with its bytes.
static void check_mqueue_mount(const char *name, long qsize) {
  char path[128], line[256];
  snprintf(path, sizeof path, "/dev/mqueue%s", name);
  FILE *f = fopen(path, "r");
  if (f == NULL) die(path);
  long got = -1;
  if (fgets(line, sizeof line, f) == NULL || sscanf(line, "QSIZE:%ld", &got) != 1 || got != qsize) {
    printf("FAIL %s QSIZE %ld after the restore, want %ld\n", path, got, qsize);
    exit(1);
  }
  fclose(f);
}

int main(int argc, char **argv) {
  if (argc != 3) {
    printf("FAIL usage: mq_checkpoint MSG_MAX MSGMNB (as the OCI spec sets them)\n");
    return 1;
  }
  struct sigaction sa = {0};
  sa.sa_handler = on_usr1;
  sigaction(SIGUSR1, &sa, NULL);
  struct mq_attr attr = {.mq_maxmsg = MSGS, .mq_msgsize = MSGSIZE};
  mq_unlink("/ckpt_open");
  mq_unlink("/ckpt_named");
  mqd_t open_fd = mq_open("/ckpt_open", O_RDWR | O_CREAT | O_EXCL, 0600, &attr);
  if (open_fd < 0) die("mq_open /ckpt_open");
  mqd_t named = mq_open("/ckpt_named", O_RDWR | O_CREAT | O_EXCL, 0640, &attr);
  if (named < 0) die("mq_open /ckpt_named");
  send_all(open_fd, 1);
  send_all(named, 2);
  mq_close(named);  // From now on only the name holds this queue.
  printf("READY\n");
  fflush(stdout);
  while (!go) pause();

  check_sysctl("fs/mqueue/msg_max", argv[1]);
  check_sysctl("kernel/msgmnb", argv[2]);
  long named_bytes = 0;
  for (int i = 0; i < MSGS; i++) named_bytes += len_of(2, i);
  check_mqueue_mount("/ckpt_named", named_bytes);
  check_drain(open_fd, 1);
  named = mq_open("/ckpt_named", O_RDONLY);
  if (named < 0) die("reopen /ckpt_named");
  check_drain(named, 2);
  mq_unlink("/ckpt_open");
  mq_unlink("/ckpt_named");
  printf("OK %d messages in 2 queues came back in order; the spec's sysctls and /dev/mqueue too\n", 2 * MSGS);
  fflush(stdout);
  return 0;
}
