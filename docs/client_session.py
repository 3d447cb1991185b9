"""A short session with the generated client of the demo system (generated_example/).

Start the sandbox in one terminal (`minicrm-codegen sandbox --seed 5`), then run, with
generated_example/ installed (`pip install ./generated_example`):

    MINICRM_BASE_URL=http://127.0.0.1:8765/Api/R3 MINICRM_SYSTEM_ID=sandbox \\
    MINICRM_API_KEY=sandbox-key python docs/client_session.py

The README quotes this file; tests run it against the sandbox and type-check it.
"""

from datetime import datetime

from minicrm_demo import Client, NotFoundError, SalesReferrer, ToDo, WrongModuleError

# Credentials and base URL come from MINICRM_SYSTEM_ID, MINICRM_API_KEY, MINICRM_BASE_URL.
with Client() as crm:
    # Search a module by an enum filter: search results carry ids, paging is automatic.
    lead = next(crm.sales.search(referrer=SalesReferrer.GOOGLE))
    # Read the full record: enum fields arrive as labels and parse to members.
    record = crm.sales.get(lead)
    print(record.name, record.status_id, record.referrer)
    # Fetch, change, save: only what you changed is sent (here Name and Referrer).
    record.name = f"{record.name} (called back)"
    record.referrer = SalesReferrer.WOM
    crm.sales.update(lead, record)
    # A project of another module is refused; all_projects.get returns its own type.
    try:
        crm.support.get(lead.id or 0)
    except WrongModuleError as error:
        print(error)
    print(type(crm.all_projects.get(lead)).__name__)
    # Create a ToDo on the project (reminder in minutes), then close it backdated.
    todo_id = crm.todos.create(
        ToDo(
            project_id=lead.id,
            comment="Send the offer",
            deadline=datetime(2026, 12, 1, 10),
            reminder=60,
        )
    )
    crm.todos.close(todo_id, closed_at=datetime(2026, 11, 30, 17))
    todos = crm.todos.list(lead.id or 0, "All")
    print("ToDo", todo_id, [f"{todo.comment}: {todo.status}" for todo in todos])
    # Errors are typed and carry the server's message.
    try:
        crm.sales.get(999_999)
    except NotFoundError as error:
        print(error.status, error.message)
