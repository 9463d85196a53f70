/*
 * mq_sender.c - the grader's stand-in sender for 08-posix-mq: puts chosen
 * messages, well-formed or not, into a POSIX message queue that exists, so
 * that a test can see what a worker does with a message no dispatcher would
 * send.
 *
 *     usage: mq_sender NAME MESSAGE...
 *
 * Each MESSAGE is sent as its bytes (no terminating NUL), with priority 0,
 * in the order given; the queue is opened O_WRONLY | O_NONBLOCK, so that a
 * full queue is an error rather than a wait.  Exit status: 0 when every
 * message was sent, 1 on a failed call, 2 on bad arguments.
 */
#include <errno.h>
#include <fcntl.h>
#include <mqueue.h>
#include <stdio.h>
#include <string.h>

#define PROG "mq_sender"

int main(int argc, char *argv[])
{
    mqd_t mqd;
    int status = 0;

    if (argc < 3 || argv[1][0] != '/') {
        fprintf(stderr, "usage: %s NAME MESSAGE...   (NAME starts with '/')\n", PROG);
        return 2;
    }
    mqd = mq_open(argv[1], O_WRONLY | O_NONBLOCK);
    if (mqd == (mqd_t)-1) {
        fprintf(stderr, "%s: mq_open %s: %s\n", PROG, argv[1], strerror(errno));
        return 1;
    }
    for (int i = 2; i < argc; i++) {
        if (mq_send(mqd, argv[i], strlen(argv[i]), 0) == -1) {
            fprintf(stderr, "%s: mq_send '%s': %s\n", PROG, argv[i], strerror(errno));
            status = 1;
            break;
        }
    }
    if (mq_close(mqd) == -1) {
        fprintf(stderr, "%s: mq_close: %s\n", PROG, strerror(errno));
        status = 1;
    }
    return status;
}
