"""Keras's `model.summary()` table."""

RULE_WIDTHS = (34, 24, 12)


def _count(tensors):
    return sum(t.numel() for t in tensors)


def _bytes(tensors):
    size = float(sum(t.numel() * t.element_size() for t in tensors))
    for unit in ("B", "KB", "MB", "GB"):
        if size < 1024 or unit == "GB":
            return f"{size:.2f} {unit}"
        size /= 1024


def print_summary(model, rows, print_fn):
    """`rows`: (name, module, output shape or None) per top-level layer."""
    width = sum(RULE_WIDTHS)
    print_fn(f'Model: "{model.name}"')
    print_fn("_" * width)
    print_fn(_line("Layer (type)", "Output Shape", "Param #"))
    print_fn("=" * width)
    for i, (name, module, shape) in enumerate(rows):
        params = _count(list(module.parameters()) + list(module.buffers()))
        print_fn(_line(f"{name} ({type(module).__name__})", "?" if shape is None else str(shape), f"{params:,}"))
        print_fn("_" * width if i < len(rows) - 1 else "=" * width)
    if not rows:
        print_fn("=" * width)
    trainable = [p for p in model.parameters() if p.requires_grad]
    frozen = [p for p in model.parameters() if not p.requires_grad] + list(model.buffers())
    print_fn(f"Total params: {_count(trainable + frozen):,} ({_bytes(trainable + frozen)})")
    print_fn(f"Trainable params: {_count(trainable):,} ({_bytes(trainable)})")
    print_fn(f"Non-trainable params: {_count(frozen):,} ({_bytes(frozen)})")
    print_fn("_" * width)


def _line(layer, shape, params):
    a, b, c = RULE_WIDTHS
    return f" {layer:<{a - 2}} {shape:<{b}}{params:>{c}}"
