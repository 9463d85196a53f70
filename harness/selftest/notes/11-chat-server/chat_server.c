/*
 * chat_server.c - the multi-process chat server of note 004, in C: one forked
 * child per client, every client's buffer a 1024-byte slot of one POSIX
 * shared memory object, a stream socketpair between the parent and each
 * child, edge-triggered epoll in the parent and in each child, and signals
 * sent into a socketpair by the parent's handler.
 *
 * The note's logic is kept as it is, its bugs with it:
 *   - a client's place (its slot and its entry in the table) is the number of
 *     clients connected when it came, and the parent relays to the first
 *     "count" entries only;
 *   - the child reads its client with one recv() of at most 1023 bytes per
 *     edge-triggered event, and every receiver sends the whole 1024-byte slot;
 *   - nothing tells a sender that its slot has been read;
 *   - the children keep the parent's ends of the older children's channels;
 *   - SIGTERM ends the parent only, SIGINT signals the first "count" places;
 *   - a failed setup returns from main() with status 0, no O_EXCL.
 * Only the interface is the statement's: the options, the readiness line, the
 * log lines on stderr, the usage message.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#define MAX_EVENT_NUMBER 5000
#define BUFFER_SIZE      1024

struct client_data {
    struct sockaddr_in address;
    int sockfd;
    pid_t pid;
    int pipefd[2];
};

static int listen_fd;
static int epoll_fd;
static int user_count;                  /* the clients connected: also the next place */
static int sig_pair[2];                 /* the "pipe" of the signals: a socketpair */
static struct client_data *users;
static int fd_limit = 16;               /* FD_LIMIT of the note, from -m */
static const char *shm_name = "/ipclab-chat";
static char *share_mem;
static bool server_stop = true;
static bool terminating = false;
static volatile sig_atomic_t child_stop;

/* The note's table from pid to place (an unordered_map): a pid not found is
 * place 0, as map[pid] inserts 0. */
static pid_t *place_pid;

static int place_of(pid_t pid)
{
    for (int i = 0; i <= fd_limit; i++)
        if (place_pid[i] == pid)
            return i;
    return 0;
}

static void usage(void)
{
    fprintf(stderr, "chat_server: usage: chat_server [-a ADDR] [-p PORT] [-m MAXCLIENTS] [-n SHMNAME]\n");
    exit(2);
}

static bool digits(const char *s, long max, long *v)
{
    char *end;

    if (*s < '0' || *s > '9')
        return false;
    errno = 0;
    *v = strtol(s, &end, 10);
    return errno == 0 && *end == '\0' && *v <= max;
}

static void set_nonblocking(int fd)
{
    int old = fcntl(fd, F_GETFL);

    fcntl(fd, F_SETFL, old | O_NONBLOCK);
}

/* Every descriptor is watched edge-triggered, and made non-blocking. */
static void add_fd(int efd, int fd)
{
    struct epoll_event ev = { .events = EPOLLIN | EPOLLET, .data.fd = fd };

    epoll_ctl(efd, EPOLL_CTL_ADD, fd, &ev);
    set_nonblocking(fd);
}

static void signal_handler(int sig)
{
    int saved = errno;
    int msg = sig;

    send(sig_pair[1], &msg, 1, 0);
    errno = saved;
}

static void child_signal_handler(int sig)
{
    (void)sig;
    child_stop = 1;
}

static void add_signal(int sig, void (*handler)(int), bool restart)
{
    struct sigaction sa;

    memset(&sa, 0, sizeof sa);
    sa.sa_handler = handler;
    if (restart)
        sa.sa_flags |= SA_RESTART;
    sigfillset(&sa.sa_mask);
    if (sigaction(sig, &sa, NULL) == -1)
        fprintf(stderr, "chat_server: sigaction: %s\n", strerror(errno));
}

static bool init_server(const char *ip, int port)
{
    struct sockaddr_in address;

    memset(&address, 0, sizeof address);
    address.sin_family = AF_INET;
    inet_pton(AF_INET, ip, &address.sin_addr);
    address.sin_port = htons((uint16_t)port);

    listen_fd = socket(AF_INET, SOCK_STREAM, 0);
    if (listen_fd < 0) {
        fprintf(stderr, "chat_server: socket: %s\n", strerror(errno));
        return false;
    }
    if (bind(listen_fd, (struct sockaddr *)&address, sizeof address) == -1) {
        fprintf(stderr, "chat_server: bind %s:%d: %s\n", ip, port, strerror(errno));
        return false;
    }
    if (listen(listen_fd, 20) == -1) {
        fprintf(stderr, "chat_server: listen: %s\n", strerror(errno));
        return false;
    }
    epoll_fd = epoll_create(5);
    if (epoll_fd == -1) {
        fprintf(stderr, "chat_server: epoll_create: %s\n", strerror(errno));
        return false;
    }
    add_fd(epoll_fd, listen_fd);

    if (socketpair(AF_UNIX, SOCK_STREAM, 0, sig_pair) == -1) {
        fprintf(stderr, "chat_server: socketpair: %s\n", strerror(errno));
        return false;
    }
    set_nonblocking(sig_pair[1]);
    add_fd(epoll_fd, sig_pair[0]);

    add_signal(SIGCHLD, signal_handler, true);
    add_signal(SIGTERM, signal_handler, true);
    add_signal(SIGINT, signal_handler, true);
    signal(SIGPIPE, SIG_IGN);
    server_stop = false;
    users = calloc((size_t)fd_limit + 1, sizeof *users);
    place_pid = calloc((size_t)fd_limit + 1, sizeof *place_pid);

    int shm_fd = shm_open(shm_name, O_CREAT | O_RDWR, 0666);
    if (shm_fd == -1) {
        fprintf(stderr, "chat_server: shm_open %s: %s\n", shm_name, strerror(errno));
        return false;
    }
    if (ftruncate(shm_fd, (off_t)fd_limit * BUFFER_SIZE) == -1) {
        fprintf(stderr, "chat_server: ftruncate: %s\n", strerror(errno));
        return false;
    }
    share_mem = mmap(NULL, (size_t)fd_limit * BUFFER_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, shm_fd, 0);
    if (share_mem == MAP_FAILED) {
        fprintf(stderr, "chat_server: mmap: %s\n", strerror(errno));
        return false;
    }
    close(shm_fd);
    fprintf(stderr, "chat_server: listening on %s:%d\n", ip, port);
    return true;
}

/* What the child makes of one recv(), on either descriptor: an error but
 * EAGAIN, or the end, stops it; true when bytes came. */
static bool received(ssize_t ret)
{
    if (ret < 0) {
        if (errno != EAGAIN)
            child_stop = 1;
        return false;
    }
    if (ret == 0) {
        child_stop = 1;
        return false;
    }
    return true;
}

static void run_child(int idx)
{
    static struct epoll_event events[MAX_EVENT_NUMBER];
    int child_epoll = epoll_create(5);

    if (child_epoll == -1) {
        fprintf(stderr, "chat_server: child: epoll_create: %s\n", strerror(errno));
        exit(0);
    }
    int sockfd = users[idx].sockfd;
    add_fd(child_epoll, sockfd);
    int pipefd = users[idx].pipefd[1];
    add_fd(child_epoll, pipefd);
    add_signal(SIGTERM, child_signal_handler, false);

    while (!child_stop) {
        int number = epoll_wait(child_epoll, events, MAX_EVENT_NUMBER, -1);

        if (number < 0 && errno != EINTR)
            break;
        for (int i = 0; i < number; i++) {
            int fd = events[i].data.fd;
            ssize_t ret;

            if (fd == sockfd && (events[i].events & EPOLLIN)) {
                /* One recv() per event, into the slot, whatever is in it. */
                memset(share_mem + idx * BUFFER_SIZE, '\0', BUFFER_SIZE);
                ret = recv(fd, share_mem + idx * BUFFER_SIZE, BUFFER_SIZE - 1, 0);
                if (received(ret))
                    send(pipefd, &idx, sizeof idx, 0);
            } else if (fd == pipefd && (events[i].events & EPOLLIN)) {
                int client = 0;

                ret = recv(fd, &client, sizeof client, 0);
                if (received(ret))      /* the whole slot, its padding included */
                    send(sockfd, share_mem + client * BUFFER_SIZE, BUFFER_SIZE, 0);
            }
        }
    }
    close(sockfd);
    close(pipefd);
    close(child_epoll);
}

static void handle_signals(const char *sigs)
{
    for (const char *p = sigs; *p != '\0'; p++) {
        switch (*p) {
        case SIGCHLD: {
            pid_t pid;
            int stat;

            while ((pid = waitpid(-1, &stat, WNOHANG)) > 0) {
                int del_user = place_of(pid);

                if (del_user < 0 || del_user > fd_limit)
                    continue;
                epoll_ctl(epoll_fd, EPOLL_CTL_DEL, users[del_user].pipefd[0], NULL);
                close(users[del_user].pipefd[0]);
                user_count--;
                fprintf(stderr, "chat_server: client %d left\n", del_user + 1);
            }
            if (terminating && user_count == 0)
                server_stop = true;
            break;
        }
        case SIGTERM:
            fprintf(stderr, "chat_server: SIGTERM: shutting down\n");
            server_stop = true;
            break;
        case SIGINT:
            fprintf(stderr, "chat_server: SIGINT: shutting down\n");
            if (user_count == 0) {
                server_stop = true;
                break;
            }
            for (int i = 0; i < user_count; i++)
                kill(users[i].pid, SIGTERM);
            terminating = true;
            break;
        }
    }
}

static void run(void)
{
    static struct epoll_event events[MAX_EVENT_NUMBER];

    while (!server_stop) {
        int number = epoll_wait(epoll_fd, events, MAX_EVENT_NUMBER, -1);

        if (number < 0 && errno != EINTR) {
            fprintf(stderr, "chat_server: epoll_wait: %s\n", strerror(errno));
            break;
        }
        for (int i = 0; i < number; i++) {
            int sockfd = events[i].data.fd;

            if (sockfd == listen_fd) {
                struct sockaddr_in client_addr;
                socklen_t len = sizeof client_addr;
                int conn_fd = accept(listen_fd, (struct sockaddr *)&client_addr, &len);

                if (conn_fd < 0)
                    continue;
                if (user_count >= fd_limit) {
                    close(conn_fd);
                    continue;
                }
                users[user_count].address = client_addr;
                users[user_count].sockfd = conn_fd;
                if (socketpair(AF_UNIX, SOCK_STREAM, 0, users[user_count].pipefd) == -1)
                    break;
                pid_t pid = fork();

                if (pid < 0) {
                    close(conn_fd);
                    continue;
                } else if (pid == 0) {
                    close(epoll_fd);
                    close(listen_fd);
                    close(users[user_count].pipefd[0]);
                    close(sig_pair[0]);
                    close(sig_pair[1]);
                    run_child(user_count);
                    munmap(share_mem, (size_t)fd_limit * BUFFER_SIZE);
                    free(users);
                    free(place_pid);
                    exit(0);
                } else {
                    close(conn_fd);
                    close(users[user_count].pipefd[1]);
                    add_fd(epoll_fd, users[user_count].pipefd[0]);
                    users[user_count].pid = pid;
                    place_pid[user_count] = pid;
                    user_count++;
                    fprintf(stderr, "chat_server: client %d joined\n", user_count);
                }
            } else if (sockfd == sig_pair[0] && (events[i].events & EPOLLIN)) {
                /* The note makes a C string of the bytes received without
                 * ending it; zeroed here, so that what follows them is no
                 * signal (the rest of its logic is kept). */
                char sig_buf[BUFFER_SIZE] = { 0 };
                ssize_t ret = recv(sig_pair[0], sig_buf, sizeof sig_buf - 1, 0);

                if (ret <= 0)
                    continue;
                handle_signals(sig_buf);
            } else if (events[i].events & EPOLLIN) {
                int child = 0;
                ssize_t ret = recv(sockfd, &child, sizeof child, 0);

                if (ret <= 0)
                    continue;
                for (int j = 0; j < user_count; j++)
                    if (users[j].pipefd[0] != sockfd)
                        send(users[j].pipefd[0], &child, sizeof child, 0);
            }
        }
    }
    close(listen_fd);
    close(epoll_fd);
    close(sig_pair[0]);
    close(sig_pair[1]);
    shm_unlink(shm_name);
}

int main(int argc, char *argv[])
{
    const char *ip = "127.0.0.1";
    long port = 7878, max = 16;
    struct in_addr unused;
    int opt;

    opterr = 0;
    while ((opt = getopt(argc, argv, ":a:p:m:n:")) != -1) {
        switch (opt) {
        case 'a':
            ip = optarg;
            break;
        case 'p':
            if (!digits(optarg, 65535, &port))
                usage();
            break;
        case 'm':
            if (!digits(optarg, 256, &max) || max < 1)
                usage();
            break;
        case 'n':
            if (optarg[0] != '/' || optarg[1] == '\0' || strchr(optarg + 1, '/') != NULL)
                usage();
            shm_name = optarg;
            break;
        default:
            usage();
        }
    }
    if (optind < argc || inet_pton(AF_INET, ip, &unused) != 1)
        usage();
    fd_limit = (int)max;

    if (init_server(ip, (int)port))
        run();
    free(users);
    free(place_pid);
    return 0;
}
