"""Client for a PRM served by vLLM's pooling API, so that scoring scales like generation.

Request / response shapes follow vLLM v0.18 (`vllm serve MODEL --runner pooling`, `POST /pooling` with
`{"model", "input", "task": "token_classify"}`; response `{"data": [{"index", "object": "pooling",
"data": [[...], ...]}], "usage": {...}}`). With STEP pooling the server returns, for each step tag, the
softmax over the two returned label tokens (Math-Shepherd style, ids given to `--pooler-config`) or the
two classes of a token-classification head (Qwen2.5-Math-PRM): index 1 is "good" for a token-
classification head, index 0 (the first returned token id, `+`) for an LM-head scheme. A server that
pools every token (ALL) returns one row per token; then the rows at the tag positions are picked.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import httpx
from minos.core.retry import RemoteError, RetryPolicy, retry
from minos.verifier.base import BaseVerifier
from minos.verifier.scheme import PRESETS, StepTagScheme


class _Busy(Exception):
    """The server answered 429 or 5xx: worth another try."""


class RemoteVerifier(BaseVerifier):
    def __init__(
        self,
        base_url: str,
        model: str,
        *,
        scheme: StepTagScheme | str = "minos",
        max_concurrency: int = 16,
        max_retries: int = 4,
        timeout: float = 120.0,
        tokenizer=None,
    ) -> None:
        self.scheme = PRESETS[scheme] if isinstance(scheme, str) else scheme
        if self.scheme.turns:
            raise ValueError("RLHFlow-style PRMs have no step tag for vLLM's STEP pooler: load them in-process (prm:PATH#rlhflow)")
        root = base_url.rstrip("/")
        self.url = (root.removesuffix("/v1")) + "/pooling"
        self.model = model
        self.retry_policy = RetryPolicy(max_retries + 1, unreachable=(httpx.TransportError,), transient=(_Busy,))
        self.name = f"{model}@{root}"
        self.tokenizer = tokenizer  # only needed for chat-template schemes
        self._client = httpx.Client(timeout=timeout)
        self._pool = ThreadPoolExecutor(max_concurrency)

    def _post(self, text: str) -> list[list[float]]:
        body = {"model": self.model, "input": text, "task": "token_classify"}

        def once() -> httpx.Response:
            response = self._client.post(self.url, json=body)
            if response.status_code >= 500 or response.status_code == 429:
                raise _Busy(f"HTTP {response.status_code}")
            return response

        response = retry(once, self.retry_policy, where=self.url)
        if response.status_code >= 400:
            raise RemoteError(f"{self.url}: HTTP {response.status_code}: {response.text[:300]}")
        return response.json()["data"][0]["data"]

    def _one(self, question: str, steps) -> list[float]:
        rows = self._post(self.scheme.render(question, steps, self.tokenizer))
        want = len(steps) if self.scheme.mode == "prm" else 1
        if len(rows) != want:
            raise RemoteError(
                f"{self.url}: {len(rows)} step scores for {want} steps; serve the model with STEP pooling "
                "on this scheme's tag (see README, 'Serving a PRM with vLLM')"
            )
        good = 1 if self.scheme.head == "token_classification" else 0
        return [float(row[good]) for row in rows]

    def score_batch(self, items) -> list[list[float]]:
        return list(self._pool.map(lambda item: self._one(*item), items))
