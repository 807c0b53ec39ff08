"""Which harbour pilot boards which ship, by rendezvous (highest random weight) hashing.

Every (pilot, ship) pair gets a score from MurmurHash3, and the ship goes to the pilot with the
highest score. The answer is the same on every server without any shared state, and when a pilot
goes off duty only that pilot's ships move to someone else: everyone else keeps their ship.

MurmurHash3 comes from `mmh3`, a C extension: the hashing is the part that must be fast, and it
is why this service has a dependency that must be compiled.
"""
import mmh3

PILOTS = ("Agnes", "Bram", "Carys", "Dai", "Eluned", "Ffion")
ARRIVALS = ("Cutty Sark", "Endeavour", "Golden Hind", "Mary Rose", "Resolute", "Thermopylae")
# A fixed seed: the roster must not change between restarts, versions or machines.
SEED = 1852


def score(pilot, ship):
    """The weight of a (pilot, ship) pair, a 32-bit unsigned MurmurHash3."""
    return mmh3.hash(f"{pilot}\x00{ship}", SEED, signed=False)


def pilot_for(ship, pilots=PILOTS):
    """The pilot who boards `ship`: the one with the highest score, ties broken by name."""
    if not pilots:
        raise ValueError("no pilot on duty")
    return max(pilots, key=lambda pilot: (score(pilot, ship), pilot))


def roster(ships=ARRIVALS, pilots=PILOTS):
    """The board for today's arrivals, one line per ship."""
    lines = [f"Pilot roster is ready: {len(pilots)} pilots on duty, {len(ships)} arrivals."]
    lines += [f"{ship}: pilot {pilot_for(ship, pilots)}" for ship in ships]
    return "\n".join(lines) + "\n"
