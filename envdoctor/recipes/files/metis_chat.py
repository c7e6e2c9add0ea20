"""A few chat completions against the ALCF Inference Service (Metis), timed.

envdoctor's reference run for the SambaNova SN40L "Metis" service. The calls are the user
guide's own example (docs/ai-testbed/sn40l_inference/using_an_inference_endpoint.md,
argonne-lcf/user-guides @ 4eaca024): `OpenAI(api_key=get_access_token(), base_url=...)`
and `client.chat.completions.create(model=..., messages=[...])`, with the guide's
`inference_auth_token.py` next to this file. Each request prints one line that envdoctor's
`metis` metrics parser reads:

    request 1/3: latency 1.234 s, prompt_tokens 17, completion_tokens 128, tokens/s 103.7
    answer 1: Paris. ...
    summary: requests 3, completion_tokens 384, mean latency 1.201 s, tokens/s 106.6

METIS_BASE_URL overrides the endpoint (another cluster of the service, e.g. Sophia's
/resource_server/sophia/vllm/v1 for the course's homework; a simulated node's stand-in).
"""
import argparse
import os
import sys
import time

from inference_auth_token import get_access_token
from openai import OpenAI

BASE_URL = "https://inference-api.alcf.anl.gov/resource_server/metis/api/v1"
PROMPTS = (
    "What is the capital of France? Answer in one word, then explain briefly.",
    "What is 2 + 2? Answer with the number first.",
    "Explain quantum computing in simple terms.",
)


def arguments(argv):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default="gpt-oss-120b")
    parser.add_argument("--max-tokens", type=int, default=150)
    parser.add_argument("--temperature", type=float, default=0.2)
    parser.add_argument("--requests", type=int, default=3)
    parser.add_argument("--stream", action="store_true", help="stream the answer (server-sent events)")
    return parser.parse_args(argv)


def one_request(client, args, prompt):
    """(answer, prompt tokens, completion tokens, seconds) of one chat completion."""
    messages = [{"role": "user", "content": prompt}]
    start = time.perf_counter()
    if not args.stream:
        response = client.chat.completions.create(model=args.model, messages=messages, max_tokens=args.max_tokens,
                                                  temperature=args.temperature)
        seconds = time.perf_counter() - start
        usage = response.usage
        return response.choices[0].message.content or "", usage.prompt_tokens, usage.completion_tokens, seconds
    parts, usage = [], None
    stream = client.chat.completions.create(model=args.model, messages=messages, max_tokens=args.max_tokens,
                                            temperature=args.temperature, stream=True,
                                            stream_options={"include_usage": True})
    for chunk in stream:
        if chunk.choices and chunk.choices[0].delta.content:
            parts.append(chunk.choices[0].delta.content)
        if getattr(chunk, "usage", None):
            usage = chunk.usage
    seconds = time.perf_counter() - start
    answer = "".join(parts)
    completion = usage.completion_tokens if usage else len(parts)
    return answer, usage.prompt_tokens if usage else 0, completion, seconds


def main(argv=None):
    args = arguments(argv)
    base_url = os.environ.get("METIS_BASE_URL") or BASE_URL
    client = OpenAI(api_key=get_access_token(), base_url=base_url)
    print(f"endpoint {base_url} model {args.model} max_tokens {args.max_tokens} temperature {args.temperature}"
          f"{' stream' if args.stream else ''}", flush=True)
    total_tokens, total_seconds = 0, 0.0
    for i in range(args.requests):
        prompt = PROMPTS[i % len(PROMPTS)]
        answer, prompt_tokens, completion_tokens, seconds = one_request(client, args, prompt)
        total_tokens += completion_tokens
        total_seconds += seconds
        print(f"request {i + 1}/{args.requests}: latency {seconds:.3f} s, prompt_tokens {prompt_tokens}, "
              f"completion_tokens {completion_tokens}, tokens/s {completion_tokens / seconds:.1f}", flush=True)
        print(f"answer {i + 1}: {' '.join(answer.split())[:200]}", flush=True)
    print(f"summary: requests {args.requests}, completion_tokens {total_tokens}, "
          f"mean latency {total_seconds / args.requests:.3f} s, tokens/s {total_tokens / total_seconds:.1f}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
