"""Stories: which articles tell one story (clustering) and the people they are about."""

from truthmeter.stories.cluster import (NUM_PERM, VECTOR_DTYPE, VECTOR_TERMS, Entry, StoryClusterer,
                                        entry_for, story_id_for)
from truthmeter.stories.people import find_people, names_key
from truthmeter.stories.evidence import Evidence, find_evidence, stance_of
from truthmeter.stories.outlets import OutletRecord, TrackRecords
from truthmeter.stories.verdict import Member, StoryVerdict, rate_story
from truthmeter.stories.service import StoryService

__all__ = ["find_people", "names_key", "Entry", "StoryClusterer", "entry_for", "story_id_for",
           "NUM_PERM", "VECTOR_DTYPE", "VECTOR_TERMS",
           "Evidence", "find_evidence", "stance_of", "OutletRecord", "TrackRecords", "Member", "StoryVerdict",
           "rate_story", "StoryService"]
