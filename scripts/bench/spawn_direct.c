/* spawn_direct N PROGRAM [ARGS...]: the smallest launcher there is. Starts N copies of
 * PROGRAM with posix_spawn (RANK, LOCAL_RANK, WORLD_SIZE and LOCAL_WORLD_SIZE set as a
 * launcher would), waits for all of them, and exits 0 only if every one exited 0.
 * It is the "start the workers directly" baseline of scripts/bench_launch.sh: dlaunch's
 * own overhead is dlaunch's wall time minus this program's. */
#define _GNU_SOURCE
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

int main(int argc, char **argv) {
  if (argc < 3) {
    fprintf(stderr, "usage: spawn_direct N PROGRAM [ARGS...]\n");
    return 2;
  }
  const int n = atoi(argv[1]);
  if (n < 1 || n > 1024) {
    fprintf(stderr, "spawn_direct: bad count '%s'\n", argv[1]);
    return 2;
  }
  char world[32];
  snprintf(world, sizeof world, "%d", n);
  setenv("WORLD_SIZE", world, 1);
  setenv("LOCAL_WORLD_SIZE", world, 1);
  int failed = 0;
  for (int i = 0; i < n; ++i) {
    char rank[32];
    snprintf(rank, sizeof rank, "%d", i);
    setenv("RANK", rank, 1);
    setenv("LOCAL_RANK", rank, 1);
    pid_t pid;
    const int err = posix_spawnp(&pid, argv[2], NULL, NULL, argv + 2, environ);
    if (err != 0) {
      fprintf(stderr, "spawn_direct: cannot start %s: %s\n", argv[2], strerror(err));
      failed = 1;
    }
  }
  int status;
  while (wait(&status) > 0) {
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) failed = 1;
  }
  return failed;
}
