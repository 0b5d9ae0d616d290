"""Progress of a job's work, with the time elapsed and an estimate of the time left.

A job counts its work in units it knows the total of in advance (model-steps for training,
model-measurements for the attack suite) and calls :meth:`Progress.update` as it goes. On an
interactive terminal that is a tqdm bar; otherwise (a job's log file, as Snakemake redirects
stderr there) a plain line at most every :data:`EVERY` seconds and one at the end::

    [hdl/DL] train 42% 1m10s elapsed, ~1m35s left

The estimate assumes the rest goes at the rate of the work done so far in this process
(work resumed from a checkpoint counts as done, not as fast). Progress only reads a clock:
it never touches a number of the job.
"""

from __future__ import annotations

import time

#: Seconds between two plain progress lines (non-terminal output).
EVERY = 15.0


def duration(seconds: float) -> str:
    """``75`` -> ``1m15s``, ``3725`` -> ``1h02m``, ``9`` -> ``9s``."""
    s = int(round(seconds))
    if s < 60:
        return f"{s}s"
    if s < 3600:
        return f"{s // 60}m{s % 60:02d}s"
    return f"{s // 3600}h{s % 3600 // 60:02d}m"


class Progress:
    """``total`` units of work named ``what`` (``train``, ``eval``) of the job ``label``,
    ``done`` of them already done (resumed), reported on ``stream`` (None: silent)."""

    def __init__(self, total: int, label: str, what: str, stream=None, done: int = 0,
                 every: float | None = None, clock=time.monotonic, unit: str = "it"):
        self.total, self.n, self.start_n = max(int(total), 1), int(done), int(done)
        self.prefix = f"[{label}] {what}" if label else what
        self.stream, self.every, self.clock = stream, EVERY if every is None else every, clock
        self.t0 = clock()
        self.next_at = self.t0 + self.every
        self.bar = None
        if stream is not None and _is_terminal(stream):
            from tqdm import tqdm

            self.bar = tqdm(total=self.total, initial=self.n, desc=self.prefix, unit=unit, unit_scale=True,
                            file=stream, dynamic_ncols=True, leave=True)

    def update(self, n: int) -> None:
        """``n`` more units done."""
        self.n += n
        if self.bar is not None:
            self.bar.update(n)
        elif self.stream is not None and self.clock() >= self.next_at:
            self._line()

    def write(self, text: str) -> None:
        """A line of the job's own log (above the bar on a terminal)."""
        if self.bar is not None:
            self.bar.write(text, file=self.stream)
        elif self.stream is not None:
            print(text, file=self.stream, flush=True)

    def close(self) -> None:
        """The final report (the plain line at the end, or the bar's last state)."""
        if self.bar is not None:
            self.bar.close()
            self.bar = None
        elif self.stream is not None:
            self._line()
            self.stream = None

    def line(self) -> str:
        """``[label] what 42% 1m10s elapsed, ~1m35s left``."""
        now = self.clock()
        elapsed = now - self.t0
        fraction = min(self.n / self.total, 1.0)
        text = f"{self.prefix} {int(100 * fraction)}% {duration(elapsed)} elapsed"
        if self.n >= self.total:
            return text + ", done"
        rate = (self.n - self.start_n) / elapsed if elapsed > 0 else 0.0
        left = f"~{duration((self.total - self.n) / rate)}" if rate > 0 else "~?"
        return f"{text}, {left} left"

    def _line(self) -> None:
        print(self.line(), file=self.stream, flush=True)
        self.next_at = self.clock() + self.every


def _is_terminal(stream) -> bool:
    isatty = getattr(stream, "isatty", None)
    try:
        return bool(isatty and isatty())
    except ValueError:  # a closed stream
        return False
