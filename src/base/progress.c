#include "base/progress.h"

#include <string.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>

#include "base/size.h"

double kd_monotonic(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void fmt_duration(char *buf, size_t n, double secs)
{
	if (secs < 0 || secs > 99 * 3600.0) {
		snprintf(buf, n, "--:--");
		return;
	}
	unsigned long s = (unsigned long)(secs + 0.5);
	if (s >= 3600)
		snprintf(buf, n, "%lu:%02lu:%02lu", s / 3600, s / 60 % 60, s % 60);
	else
		snprintf(buf, n, "%lu:%02lu", s / 60, s % 60);
}

char *kd_progress_format(char *buf, size_t n, const char *what, uint64_t done, uint64_t total,
			 double elapsed, int width)
{
	char tail[160], d[32], t[32], eta[32];
	kd_size_human(done, d, sizeof(d));
	if (total) {
		if (done > total)
			done = total;
		kd_size_human(total, t, sizeof(t));
		if (done == total)
			fmt_duration(eta, sizeof(eta), elapsed);
		else if (done == 0 || elapsed <= 0)
			snprintf(eta, sizeof(eta), "--:--");
		else
			fmt_duration(eta, sizeof(eta), elapsed * (double)(total - done) / (double)done);
		unsigned pct = (unsigned)((double)done * 100.0 / (double)total);
		snprintf(tail, sizeof(tail), " %3u%% %s/%s %s %s", pct, d, t,
			 done == total ? "in" : "ETA", eta);
	} else {
		snprintf(tail, sizeof(tail), " %s", d);
	}

	if (width < 20)
		width = 20;
	size_t w = (size_t)width;
	if (n == 0)
		return buf;
	if (w >= n)
		w = n - 1;
	/* bar gets what is left after the label and the tail */
	size_t label = strlen(what);
	if (label > w / 3)
		label = w / 3;
	long bar = (long)w - (long)label - (long)strlen(tail) - 3;
	size_t at = 0;
	memcpy(buf, what, label);
	at = label;
	if (total && bar >= 5) {
		buf[at++] = ' ';
		buf[at++] = '[';
		size_t fill = (size_t)((double)bar * (double)done / (double)total);
		for (long i = 0; i < bar; i++)
			buf[at++] = (size_t)i < fill ? '#' : '.';
		buf[at++] = ']';
	}
	buf[at] = '\0';
	size_t tl = strlen(tail);
	if (at + tl > w)
		tl = w > at ? w - at : 0;
	memcpy(buf + at, tail, tl);
	buf[at + tl] = '\0';
	return buf;
}

static int term_width(FILE *f)
{
	struct winsize ws;
	if (ioctl(fileno(f), TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0)
		return ws.ws_col;
	return 80;
}

static void draw(struct kd_progress *p, double now)
{
	char line[512];
	kd_progress_format(line, sizeof(line), p->what, p->done, p->total, now - p->start,
			   p->width - 1);
	fprintf(p->out, "\r%s\033[K", line);
	fflush(p->out);
	p->last_draw = now;
}

void kd_progress_begin(struct kd_progress *p, const char *what, uint64_t total, int force)
{
	memset(p, 0, sizeof(*p));
	p->what = what;
	p->total = total;
	p->start = kd_monotonic();
	p->last_draw = -1;
	if (force || isatty(STDERR_FILENO)) {
		p->out = stderr;
		p->width = term_width(stderr);
	}
}

void kd_progress_update(struct kd_progress *p, uint64_t done)
{
	p->done = done;
	if (!p->out)
		return;
	double now = kd_monotonic();
	if (p->last_draw < 0 || now - p->last_draw >= 0.2)
		draw(p, now);
}

void kd_progress_end(struct kd_progress *p)
{
	if (!p->out)
		return;
	draw(p, kd_monotonic());
	fputc('\n', p->out);
	p->out = NULL;
}
