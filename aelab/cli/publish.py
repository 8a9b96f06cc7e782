"""CLI command publish: ``python -m aelab publish NAME`` shares a model of the library with every student of a class
server, read-only (see aelab.library.namespaces); ``--remove`` stops sharing it."""
from __future__ import annotations


def register(subparsers) -> None:
    p = subparsers.add_parser("publish", help="share a library model read-only with every student of a class server",
                              description="Copies the library model NAME ($AELAB_HOME/NAME) into the published "
                              "folder ($AELAB_PUBLISHED_DIR, else $AELAB_HOME/.published), which every browser of the "
                              "app lists read-only.")
    p.add_argument("name", help="the name of a model in the library")
    p.add_argument("--overwrite", action="store_true", help="replace a published model of that name")
    p.add_argument("--remove", action="store_true", help="stop sharing NAME (the library's copy stays)")
    p.set_defaults(handler=cmd_publish)


def cmd_publish(args) -> int:
    from aelab.library.namespaces import publish, unpublish

    if args.remove:
        unpublish(args.name)
        print(f"{args.name} is no longer published")
        return 0
    path = publish(args.name, overwrite=args.overwrite)
    print(f"published {args.name} -> {path}")
    return 0
