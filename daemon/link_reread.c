/* When to read the link table again: see link_reread.h. */
#include "link_reread.h"

enum link_reread_next link_reread_next(unsigned reads, bool failed, bool again)
{
	if (!failed && !again)
		return LINK_REREAD_DONE;
	if (reads < 2)
		return failed ? LINK_REREAD_RETRY : LINK_REREAD_AT_ONCE;
	return again ? LINK_REREAD_ANEW : LINK_REREAD_GIVE_UP;
}
