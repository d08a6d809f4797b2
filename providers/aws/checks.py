"""What an AWS environment cannot express, as validation problems (no cdktf here)."""

from __future__ import annotations

# Fargate task sizes: vCPU -> allowed memory in MiB.
FARGATE_MEMORY = {
    0.25: (512, 1024, 2048),
    0.5: tuple(range(1024, 4096 + 1, 1024)),
    1: tuple(range(2048, 8192 + 1, 1024)),
    2: tuple(range(4096, 16384 + 1, 1024)),
    4: tuple(range(8192, 30720 + 1, 1024)),
}


def _memory_words(cpu) -> str:
    allowed = FARGATE_MEMORY[cpu]
    if len(allowed) <= 3:
        return ", ".join(map(str, allowed))
    return f"{allowed[0]} to {allowed[-1]} in steps of 1024"


def check(env) -> list[tuple[str, str]]:
    problems = []
    for s in env.services.values():
        if s.cpu is not None and s.memory not in FARGATE_MEMORY.get(s.cpu, ()):
            pointer = s.origins["memory"] if "/environments/" not in s.origins["memory"] else s.origins["cpu"]
            if "/overrides/" in s.origins["memory"]:
                pointer = s.origins["memory"]
            problems.append((pointer, f"in aws environment {env.spec_name!r}, service {s.name!r} has cpu {s.cpu} "
                             f"with memory {s.memory} MiB, which is not a Fargate size; with {s.cpu} vCPU "
                             f"memory is {_memory_words(s.cpu)}"))
    return problems
