/*
 * virtio-echo.c - keyboard input through virtio-console: the guest
 * offers a receive buffer on port 0's receiveq (virtio 1.2, 5.3.6), the
 * host fills it with what the user typed, and the guest sends it back on
 * the transmitq in upper case (so what appears is visibly the guest's
 * answer, not the terminal's echo). A '.' ends it.
 *
 *   printf 'hello.' | mvm run --disk disk.img --console virtio \
 *           build/examples/virtio-echo.elf
 *
 * With --console virtio, mvm's console owner hands stdin to
 * virtio-console instead of COM1; the Ctrl-A escape keys still work.
 */
#include "guest.h"
#include "virtio.h"

static struct vdev con;

static void say(const char *s)
{
	uint32_t n = 0;

	while (s[n])
		n++;
	vcon_write(&con, s, n);
}

int main(void)
{
	char buf[64];
	int done = 0;

	GUEST_ASSERT(vdev_init(&con, MVM_VIRTIO_SLOT_CONSOLE,
			       MVM_VIRTIO_ID_CONSOLE, 0, 2) == 0);
	say("virtio-echo: ready\n");
	while (!done) {
		long n = vcon_read(&con, buf, sizeof(buf));

		GUEST_ASSERT(n > 0 && n <= (long)sizeof(buf));
		for (long i = 0; i < n; i++) {
			if (buf[i] >= 'a' && buf[i] <= 'z')
				buf[i] = (char)(buf[i] - 'a' + 'A');
			done |= buf[i] == '.';
		}
		vcon_write(&con, buf, (uint32_t)n);
	}
	say("\nvirtio-echo: bye\n");
	return 0;
}
