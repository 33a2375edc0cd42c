"""The facereplace engine: plain stage functions, typed configs, versioned artifacts. Imports no Django."""
import os

# torch's CPU threads (OpenMP) spin while they wait for each other. On a machine shared with other work (a CI
# runner, an artist's workstation, the site's own workers) a spinning thread holds a core that its partner needs,
# and a 64² training step measured 3.5× slower on two threads than on one at load 12. Passive waiting gives the
# same speed as one thread under load and keeps both threads' speed on a quiet machine. It must be set before
# torch loads OpenMP, hence here, where every engine import starts; a value set by the user wins.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
