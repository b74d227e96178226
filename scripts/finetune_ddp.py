#!/usr/bin/env python3
"""Fine-tunes a Hugging Face translation model directory (e.g. one written by
`transformer export RUN --format hf`) on a parallel corpus with PyTorch's DistributedDataParallel,
and saves the result with save_pretrained, ready for `transformer translate --model OUT`:

    torchrun --nproc_per_node 2 scripts/finetune_ddp.py --model hf/de-en \\
        --source ../shared/data/multi30k/train.de --target ../shared/data/multi30k/train.en --out hf/de-en-ft

One process per device: the gloo backend on CPUs, NCCL on GPUs (each rank takes cuda:LOCAL_RANK).
Every rank reads its own shard of the pairs (DistributedSampler), gradients are averaged across
ranks after every backward pass, and rank 0 saves. Batches and labels are made as our trainer makes
them: the source is the tokenizer's output (text + </s>), labels are the target + </s>, and the
decoder reads them shifted right behind decoder_start_token_id (transformers does the shift);
the loss is label-smoothed cross-entropy over non-pad labels. --validation-source/-target report
the loss on a held-out set before and after, on rank 0.
"""
import argparse
import os
import time

import torch
import torch.distributed as dist
import torch.nn.functional as F
from torch.nn.parallel import DistributedDataParallel
from torch.utils.data import DataLoader, DistributedSampler
from transformers import AutoModelForSeq2SeqLM, AutoTokenizer


def read_pairs(source, target, limit=None):
    with open(source, encoding="utf-8") as s, open(target, encoding="utf-8") as t:
        pairs = [(a.strip(), b.strip()) for a, b in zip(s, t) if a.strip() and b.strip()]
    return pairs[:limit] if limit else pairs


def collate(tokenizer, max_length):
    def make(batch):
        sources, targets = zip(*batch)
        enc = tokenizer(list(sources), padding=True, truncation=True, max_length=max_length, return_tensors="pt")
        labels = tokenizer(text_target=list(targets), padding=True, truncation=True, max_length=max_length,
                           return_tensors="pt")["input_ids"]
        labels[labels == tokenizer.pad_token_id] = -100
        return enc["input_ids"], enc["attention_mask"], labels
    return make


def loss_of(model, batch, device, smoothing, start, pad):
    ids, mask, labels = (x.to(device) for x in batch)
    # The labels shifted right behind the start token: what the decoder reads.
    decoder_input_ids = torch.cat([torch.full_like(labels[:, :1], start), labels[:, :-1]], dim=1)
    decoder_input_ids[decoder_input_ids == -100] = pad
    logits = model(input_ids=ids, attention_mask=mask, decoder_input_ids=decoder_input_ids).logits
    loss = F.cross_entropy(logits.reshape(-1, logits.shape[-1]), labels.reshape(-1), ignore_index=-100,
                           label_smoothing=smoothing)
    return loss, int((labels != -100).sum())


@torch.no_grad()
def validation_loss(model, loader, device, start, pad):
    model.eval()
    total, tokens = 0.0, 0
    for batch in loader:
        loss, n = loss_of(model, batch, device, 0.0, start, pad)
        total, tokens = total + float(loss) * n, tokens + n
    model.train()
    return total / max(tokens, 1)


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--model", required=True, help="Hugging Face model directory to start from")
    p.add_argument("--source", required=True)
    p.add_argument("--target", required=True)
    p.add_argument("--out", required=True, help="directory save_pretrained writes (rank 0)")
    p.add_argument("--epochs", type=int, default=1)
    p.add_argument("--limit", type=int, help="use only the first N pairs")
    p.add_argument("--batch-size", type=int, default=32, help="sentence pairs per rank and step")
    p.add_argument("--lr", type=float, default=1e-4)
    p.add_argument("--label-smoothing", type=float, default=0.1)
    p.add_argument("--max-length", type=int, default=128)
    p.add_argument("--validation-source")
    p.add_argument("--validation-target")
    p.add_argument("--seed", type=int, default=0)
    args = p.parse_args()

    cuda = torch.cuda.is_available()
    dist.init_process_group(backend="nccl" if cuda else "gloo")
    rank, world = dist.get_rank(), dist.get_world_size()
    local = int(os.environ.get("LOCAL_RANK", 0))
    device = torch.device(f"cuda:{local}" if cuda else "cpu")
    if not cuda:
        # The machine's cores shared out between the ranks.
        torch.set_num_threads(max(1, (os.cpu_count() or 1) // int(os.environ.get("LOCAL_WORLD_SIZE", world))))
    torch.manual_seed(args.seed)

    tokenizer = AutoTokenizer.from_pretrained(args.model)
    model = AutoModelForSeq2SeqLM.from_pretrained(args.model).to(device)
    model.train()
    start, pad = model.config.decoder_start_token_id, model.config.pad_token_id
    pairs = read_pairs(args.source, args.target, args.limit)
    sampler = DistributedSampler(pairs, num_replicas=world, rank=rank, shuffle=True, seed=args.seed)
    make = collate(tokenizer, args.max_length)
    loader = DataLoader(pairs, batch_size=args.batch_size, sampler=sampler, collate_fn=make)
    valid = None
    if rank == 0 and args.validation_source and args.validation_target:
        valid = DataLoader(read_pairs(args.validation_source, args.validation_target), batch_size=64, collate_fn=make)
        print(f"validation NLL per token before: {validation_loss(model, valid, device, start, pad):.4f}", flush=True)

    ddp = DistributedDataParallel(model, device_ids=[local] if cuda else None)
    optimizer = torch.optim.AdamW(ddp.parameters(), lr=args.lr, weight_decay=0.0)
    if rank == 0:
        print(f"{world} ranks ({'nccl' if cuda else 'gloo'}), {len(pairs)} pairs, {len(loader)} steps per epoch "
              f"of {args.batch_size} pairs per rank", flush=True)
    step, began = 0, time.time()
    for epoch in range(args.epochs):
        sampler.set_epoch(epoch)
        for batch in loader:
            loss, _ = loss_of(ddp, batch, device, args.label_smoothing, start, pad)
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            torch.nn.utils.clip_grad_norm_(ddp.parameters(), 1.0)
            optimizer.step()
            step += 1
            if rank == 0 and (step % 50 == 0 or step == len(loader)):
                print(f"epoch {epoch} step {step}/{len(loader) * args.epochs} loss {loss.item():.4f} "
                      f"{time.time() - began:.0f}s", flush=True)
    if rank == 0:
        if valid is not None:
            print(f"validation NLL per token after: {validation_loss(model, valid, device, start, pad):.4f}", flush=True)
        model.save_pretrained(args.out)
        # A fresh copy: the one used for batches would save its padding and truncation settings.
        AutoTokenizer.from_pretrained(args.model).save_pretrained(args.out)
        print(f"saved {args.out}", flush=True)
    dist.barrier()
    dist.destroy_process_group()


if __name__ == "__main__":
    main()
