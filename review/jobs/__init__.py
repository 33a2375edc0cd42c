"""Jobs: heavy work on a shot, run by task workers, reported live.

- `runner`: queue, claim, run (heartbeat, progress, log), finish, fail, retry, reap; knows no kind of job.
- `registry`: the kinds by name (`JobKindSpec`: queue, retry role, run or plan/run_chunk/join, hooks).
- `kinds/`: one module per kind (review_clip, engine, convert, render), each with its own logger.
- `live`: the event a job becomes and the groups it goes to (the shot's jobs socket, the boards).
- `engine_paths`: where a shot's folders lie on the engine's storage.
The writes that queue jobs are services (`review.services.engine`, `renders`, `variants`); `job_retry` is the
runner's.
"""
