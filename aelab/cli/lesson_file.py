"""CLI command lesson: ``python -m aelab lesson MODEL --page PAGE --out FILE.html [--view LINK-TEXT]`` writes the lesson
file the app's "Save as a lesson file" button writes for that page's view (aelab.export.lesson)."""
from __future__ import annotations

PAGE_NAMES = ("traverse", "interpolate", "generate", "latent")


def register(subparsers, add_data_argument) -> None:
    p = subparsers.add_parser("lesson", help="write one HTML file that shows a page's view and decodes it live, "
                                             "offline, in any browser")
    p.add_argument("model", help="a model folder, or the name of a library, published or pretrained model")
    p.add_argument("--page", required=True, metavar="PAGE", help=f"one of {', '.join(PAGE_NAMES)}")
    p.add_argument("--out", required=True, metavar="FILE.html", help="the file to write")
    p.add_argument("--view", default="", metavar="TEXT",
                   help='the page\'s view as in its link, e.g. "start=test:3&z=z1:0.5" (default: the page\'s own)')
    add_data_argument(p)
    p.set_defaults(data=None)  # (default: the data the model was trained on)
    p.add_argument("--class", dest="label", type=int, default=0, metavar="N",
                   help="a conditional model's class to decode as (the app's sidebar class; default 0)")
    p.add_argument("--title", default=None, help="the page's title (default: one naming the page and the model)")
    p.add_argument("--caption", default=None, help="a line under the title (default: one saying what it shows)")
    p.add_argument("--allow-private-data", action="store_true",
                   help="write it even though it carries data that is not a shipped or downloadable source (the "
                        "images it shows, or a decoder trained on them that may have memorised them)")
    p.set_defaults(handler=cmd_lesson)


def model_key(path) -> str | None:
    """How the app names the model of a folder ("pretrained/vae", "library/mine"), None for a folder elsewhere."""
    from pathlib import Path

    from aelab.library.store import library_root, published_root
    from aelab.resources import pretrained_root

    folder = Path(path).resolve()
    for source, root in (("pretrained", pretrained_root()), ("library", library_root()),
                         ("published", published_root())):
        if folder.parent == Path(root).resolve():
            return f"{source}/{folder.name}"
    return None


def _model(args):
    """(the record, bound to --class if it is conditional, as the app binds it to the sidebar's; its app key)."""
    import dataclasses

    from aelab.export.lesson_specs import LessonError
    from aelab.library.store import load_model, resolve_model_path
    from aelab.models.conditional import with_label

    path = resolve_model_path(args.model)
    key = model_key(path)
    record = load_model(path, pretrained=bool(key and key.startswith("pretrained/")))
    n_classes = record.model_config.n_classes
    if n_classes:
        if not 0 <= args.label < n_classes:
            raise LessonError(f"--class {args.label}: {record.name} has classes 0 to {n_classes - 1}.")
        record = dataclasses.replace(record, model=with_label(record.model, args.label))
    return record, key


def _dataset(args, record):
    """--data, else the data the model was trained on; of the model's image size."""
    from aelab.cli.common import dataset_from_args
    from aelab.export.lesson_specs import LessonError

    args.data = args.data or record.dataset
    dataset = dataset_from_args(args)
    (height, width), size = record.model_config.image_size, dataset.image_size
    if tuple(size) != (height, width):
        raise LessonError(f"{record.name} takes {height}x{width} images and {dataset.name}'s are "
                          f"{size[0]}x{size[1]}: give --data of its size.")
    return dataset


def cmd_lesson(args) -> int:
    from pathlib import Path

    from aelab.export.lesson import PAGES, build_lesson, private_data
    from aelab.export.lesson_specs import LessonError
    from aelab.views.base import parse_query

    if args.page not in PAGES:
        raise LessonError(f"--page {args.page} is not a page with lesson files: give one of {', '.join(PAGES)}.")
    view, problems = parse_query(PAGES[args.page], args.view)
    if problems:
        raise LessonError(f"--view: {'; '.join(problems)}.")
    out = Path(args.out)
    if out.is_dir() or not out.parent.is_dir():
        raise LessonError(f"--out {out} is a folder or is in no folder that exists: give a file to write.")
    record, key = _model(args)
    dataset = _dataset(args, record)
    private = private_data(record, dataset)
    if private and not args.allow_private_data:
        raise LessonError(f"this lesson file would carry {private}; anyone who opens the file sees them. Add "
                          "--allow-private-data to write it anyway.")
    data = build_lesson(args.page, view, record, dataset, model_key=key, title=args.title, caption=args.caption)
    out.write_bytes(data)
    print(f"wrote {out}  ({len(data):,} bytes)")
    return 0
