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
    """`rows`: (name, module, output shape or None) per top-level layer. Columns widen to fit."""
    labels = [f"{name} ({type(module).__name__})" for name, module, _ in rows]
    shapes = ["?" if shape is None else str(shape) for _, _, shape in rows]
    widths = (max([RULE_WIDTHS[0] - 2] + [len(l) + 1 for l in labels]) + 2,
              max([RULE_WIDTHS[1]] + [len(s) + 1 for s in shapes]), RULE_WIDTHS[2])
    width = sum(widths)
    print_fn(f'Model: "{model.name}"')
    print_fn("_" * width)
    print_fn(_line("Layer (type)", "Output Shape", "Param #", widths))
    print_fn("=" * width)
    for i, ((name, module, shape), label, shape_text) in enumerate(zip(rows, labels, shapes)):
        params = _count(list(module.parameters()) + list(module.buffers()))
        print_fn(_line(label, shape_text, f"{params:,}", widths))
        print_fn("_" * width if i < len(rows) - 1 else "=" * width)
    if not rows:
        print_fn("=" * width)
    trainable = [p for p in model.parameters() if p.requires_grad]
    frozen = [p for p in model.parameters() if not p.requires_grad] + list(model.buffers())
    print_fn(f"Total params: {_count(trainable + frozen):,} ({_bytes(trainable + frozen)})")
    print_fn(f"Trainable params: {_count(trainable):,} ({_bytes(trainable)})")
    print_fn(f"Non-trainable params: {_count(frozen):,} ({_bytes(frozen)})")
    print_fn("_" * width)


def _line(layer, shape, params, widths=RULE_WIDTHS):
    a, b, c = widths
    return f" {layer:<{a - 2}} {shape:<{b}}{params:>{c}}"
